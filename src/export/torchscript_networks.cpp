// The exported module's tensors and attributes, and encoder/decoder networks as TorchScript
// source (see script_module.h).
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdio>
#include <sstream>

#include "latentkit/error.h"
#include "script_module.h"

namespace latentkit::script {

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s(buf);
  // A bare "1" would be an int in TorchScript; floats need a point or an exponent.
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

ScriptModule::ScriptModule(const std::string& class_name) : module_(c10::QualifiedName(class_name)) {}

std::string ScriptModule::tensor(const std::string& name, const torch::Tensor& t, bool buffer) {
  module_.register_parameter(name, t.detach().to(torch::kCPU).clone().contiguous(), buffer);
  return "self." + name;
}

void ScriptModule::attribute(const std::string& name, int64_t v) {
  module_.register_attribute(name, c10::IntType::get(), v);
}
void ScriptModule::attribute(const std::string& name, bool v) {
  module_.register_attribute(name, c10::BoolType::get(), v);
}
void ScriptModule::attribute(const std::string& name, const std::string& v) {
  module_.register_attribute(name, c10::StringType::get(), v);
}
void ScriptModule::attribute(const std::string& name, const std::vector<int64_t>& v) {
  module_.register_attribute(name, c10::ListType::ofInts(), c10::List<int64_t>(v));
}

namespace {

// Names the generated source uses besides `torch` (aten's operators): `math` (aten's scalar
// operators, e.g. math.log(float)) and `Exception` for its errors.
struct SourceResolver : torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& m,
                                                         const torch::jit::SourceRange& loc) override {
    if (name == "torch" || name == "math") return std::make_shared<torch::jit::BuiltinModule>("aten");
    if (name == "Exception") return std::make_shared<torch::jit::ExceptionValue>(name);
    return nullptr;
  }
};

}  // namespace

void ScriptModule::define(const std::string& source) {
  try {
    module_.define(source, std::make_shared<SourceResolver>());
  } catch (const std::exception& e) {
    // One line: the compiler's message (torch::jit::ErrorReport) with its source excerpt folded.
    std::string what = e.what();
    for (char& ch : what)
      if (ch == '\n') ch = ' ';
    throw std::runtime_error("TorchScript export: generated source does not compile:" + what);
  }
}

std::string ScriptModule::fresh(const std::string& stem) { return stem + std::to_string(counter_++); }

namespace {

std::string ints(at::IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// The padding of a convolution's options, when it is explicit numbers (not "same"/"valid").
template <typename Options>
bool explicit_padding(const Options& o, std::string& out) {
  const auto& p = o.padding();
  if (!c10::holds_alternative<torch::ExpandingArray<2>>(p)) return false;
  out = ints(*c10::get<torch::ExpandingArray<2>>(p));
  return true;
}

// One layer as a line of source transforming `h`; registers the layer's tensors.
std::string layer_line(ScriptModule& m, const std::string& prefix, torch::nn::Module& layer,
                       const std::string& kind) {
  namespace nn = torch::nn;
  auto weight = [&](const char* name, const torch::Tensor& t) { return m.tensor(prefix + "_" + name, t); };
  auto bias = [&](const torch::Tensor& t) { return t.defined() ? weight("bias", t) : std::string("None"); };
  if (auto* l = dynamic_cast<nn::LinearImpl*>(&layer))
    return "h = torch.linear(h, " + weight("weight", l->weight) + ", " + bias(l->bias) + ")";
  if (auto* c = dynamic_cast<nn::Conv2dImpl*>(&layer)) {
    const auto& o = c->options;
    std::string pad;
    if (!c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) || !explicit_padding(o, pad))
      fail(kind, "a Conv2d with a padding TorchScript export does not know");
    return "h = torch.conv2d(h, " + weight("weight", c->weight) + ", " + bias(c->bias) + ", " +
           ints(*o.stride()) + ", " + pad + ", " + ints(*o.dilation()) + ", " + std::to_string(o.groups()) + ")";
  }
  if (auto* c = dynamic_cast<nn::ConvTranspose2dImpl*>(&layer)) {
    const auto& o = c->options;
    std::string pad;
    if (!c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) || !explicit_padding(o, pad))
      fail(kind, "a ConvTranspose2d with a padding TorchScript export does not know");
    return "h = torch.conv_transpose2d(h, " + weight("weight", c->weight) + ", " + bias(c->bias) + ", " +
           ints(*o.stride()) + ", " + pad + ", " + ints(*o.output_padding()) + ", " +
           std::to_string(o.groups()) + ", " + ints(*o.dilation()) + ")";
  }
  if (auto* f = dynamic_cast<nn::FlattenImpl*>(&layer))
    return "h = torch.flatten(h, " + std::to_string(f->options.start_dim()) + ", " +
           std::to_string(f->options.end_dim()) + ")";
  if (auto* u = dynamic_cast<nn::UnflattenImpl*>(&layer)) {
    if (!u->options.dimname().empty()) fail(kind, "a named Unflatten layer");
    return "h = h.unflatten(" + std::to_string(u->options.dim()) + ", " + ints(u->options.sizes()) + ")";
  }
  if (dynamic_cast<nn::ReLUImpl*>(&layer)) return "h = torch.relu(h)";
  if (dynamic_cast<nn::TanhImpl*>(&layer)) return "h = torch.tanh(h)";
  if (dynamic_cast<nn::SigmoidImpl*>(&layer)) return "h = torch.sigmoid(h)";
  if (auto* a = dynamic_cast<nn::LeakyReLUImpl*>(&layer))
    return "h = torch.leaky_relu(h, " + number(a->options.negative_slope()) + ")";
  if (auto* a = dynamic_cast<nn::ELUImpl*>(&layer))
    return "h = torch.elu(h, " + number(a->options.alpha()) + ")";
  if (auto* a = dynamic_cast<nn::GELUImpl*>(&layer))
    return "h = torch.gelu(h, approximate=\"" + a->options.approximate() + "\")";
  // Evaluation mode: dropout passes its input through.
  if (dynamic_cast<nn::DropoutImpl*>(&layer)) return "";
  fail(kind, "its network has a layer TorchScript export does not know (" + layer.name() + ")");
}

}  // namespace

// h: [B, in] -> [B, out], as the Sequential's modules compute it.
void define_network(ScriptModule& m, const std::string& method, torch::nn::Sequential& net,
                    const std::string& kind) {
  std::ostringstream src;
  src << "def " << method << "(self, h: Tensor) -> Tensor:\n";
  size_t i = 0;
  for (const auto& child : net->children()) {
    const std::string line = layer_line(m, method + "_" + std::to_string(i++), *child, kind);
    if (!line.empty()) src << "    " << line << "\n";
  }
  src << "    return h\n";
  m.define(src.str());
}

void define_unconditional(ScriptModule& m) {
  m.define("def _cond(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n    return x\n");
}

}  // namespace latentkit::script
