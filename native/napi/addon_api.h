// node-addon-api with the settings this addon needs. Include this instead of <napi.h>, so every
// file sees the same definitions.
#pragma once

// While a worker thread is being terminated, JS can take no exception: node-addon-api then drops
// the exception instead of calling std::terminate (which would abort the whole process).
#ifndef NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#define NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#endif

#include <napi.h>
