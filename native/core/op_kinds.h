// The small enums that select an op's variant, with their JS spellings.
#pragma once

#include <optional>
#include <string>

namespace rk {

enum class BinaryOp { Add, Sub, Mul, Div };
enum class UnaryOp { Neg, Tanh, Sigmoid, Relu, Exp, Log };
enum class ReduceOp { Sum, Mean, Max };
enum class Reduction { Mean, Sum, None };

const char* opName(BinaryOp op);
const char* opName(UnaryOp op);
const char* opName(ReduceOp op);
const char* opName(Reduction reduction);

std::optional<BinaryOp> parseBinaryOp(const std::string& name);
std::optional<UnaryOp> parseUnaryOp(const std::string& name);
std::optional<ReduceOp> parseReduceOp(const std::string& name);
std::optional<Reduction> parseReduction(const std::string& name);

}  // namespace rk
