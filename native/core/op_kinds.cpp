#include "core/op_kinds.h"

#include <array>
#include <utility>

namespace rk {

namespace {

template <class Enum, size_t N>
using Names = std::array<std::pair<Enum, const char*>, N>;

constexpr Names<BinaryOp, 4> kBinaryNames{{{BinaryOp::Add, "add"},
                                           {BinaryOp::Sub, "sub"},
                                           {BinaryOp::Mul, "mul"},
                                           {BinaryOp::Div, "div"}}};
constexpr Names<UnaryOp, 6> kUnaryNames{{{UnaryOp::Neg, "neg"},
                                         {UnaryOp::Tanh, "tanh"},
                                         {UnaryOp::Sigmoid, "sigmoid"},
                                         {UnaryOp::Relu, "relu"},
                                         {UnaryOp::Exp, "exp"},
                                         {UnaryOp::Log, "log"}}};
constexpr Names<ReduceOp, 3> kReduceNames{
    {{ReduceOp::Sum, "sum"}, {ReduceOp::Mean, "mean"}, {ReduceOp::Max, "max"}}};
constexpr Names<Reduction, 3> kReductionNames{
    {{Reduction::Mean, "mean"}, {Reduction::Sum, "sum"}, {Reduction::None, "none"}}};

template <class Enum, size_t N>
const char* nameOf(const Names<Enum, N>& names, Enum value) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "?";
}

template <class Enum, size_t N>
std::optional<Enum> parse(const Names<Enum, N>& names, const std::string& text) {
  for (const auto& [e, name] : names) {
    if (text == name) return e;
  }
  return std::nullopt;
}

}  // namespace

const char* opName(BinaryOp op) { return nameOf(kBinaryNames, op); }
const char* opName(UnaryOp op) { return nameOf(kUnaryNames, op); }
const char* opName(ReduceOp op) { return nameOf(kReduceNames, op); }
const char* opName(Reduction reduction) { return nameOf(kReductionNames, reduction); }

std::optional<BinaryOp> parseBinaryOp(const std::string& s) { return parse(kBinaryNames, s); }
std::optional<UnaryOp> parseUnaryOp(const std::string& s) { return parse(kUnaryNames, s); }
std::optional<ReduceOp> parseReduceOp(const std::string& s) { return parse(kReduceNames, s); }
std::optional<Reduction> parseReduction(const std::string& s) { return parse(kReductionNames, s); }

}  // namespace rk
