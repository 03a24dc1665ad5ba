// Element types a tensor can hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace rk {

enum class DType { Float32, Int32 };

inline size_t dtypeSize(DType) { return 4; }  // both dtypes are 4 bytes wide

inline const char* dtypeName(DType dtype) { return dtype == DType::Float32 ? "float32" : "int32"; }

inline std::optional<DType> parseDType(const std::string& name) {
  if (name == "float32") return DType::Float32;
  if (name == "int32") return DType::Int32;
  return std::nullopt;
}

}  // namespace rk
