"""Check a model file's architecture before any Keras code opens it.

Keras rebuilds a saved model by deserializing its config, and a config can carry code: a Lambda
layer's function (marshalled bytecode that runs when the layer is rebuilt), a custom class or a module
to import by name. A model file from a supplier must never run anything, so every place lepton_hw
opens one (:func:`lepton_hw.frontend.qkeras.load_keras_model`: import, the keras engine, the flow)
first reads the architecture as plain JSON (an .h5 file's ``model_config`` attribute, through h5py;
a .keras archive's ``config.json``) and refuses anything outside what the converter supports:

- layer classes other than the supported ones (Lambda and every custom layer among them);
- any nested object (initializer, regularizer, constraint, quantizer, pruning schedule) whose class is
  not a known Keras, QKeras or tfmot one, or that names a module outside keras, qkeras and tfmot, or
  a registered name of its own;
- a ``function`` anywhere in the config, and activation or quantizer strings that are not a plain name
  or ``name(literal arguments)`` of a known activation or quantizer.

Only then does Keras see the file. The message names the layer and why it is refused.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from lepton_hw.errors import ModelLoadError

MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
SUPPORTED_LAYERS = (  # the layer classes the converter (lepton_hw.frontend.qkeras) takes
    "InputLayer",
    "QConv2D",
    "QConv2DBatchnorm",
    "QDense",
    "QActivation",
    "Activation",
    "ReLU",
    "MaxPooling2D",
    "AveragePooling2D",
    "Flatten",
    "Dropout",
)
# tfmot's pruning wrapper is accepted too; the layer inside it is checked like any other
LAYER_CLASSES = frozenset(SUPPORTED_LAYERS) | {"PruneLowMagnitude"}
MERGE_CLASSES = frozenset({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"})
QUANTIZERS = frozenset(
    {
        "quantized_bits", "quantized_relu", "quantized_po2", "quantized_relu_po2", "quantized_ulaw",
        "quantized_tanh", "quantized_sigmoid", "quantized_linear", "quantized_hswish", "binary", "ternary",
        "stochastic_binary", "stochastic_ternary", "bernoulli",
    }
)  # fmt: skip
ACTIVATIONS = frozenset(
    {"linear", "relu", "softmax", "sigmoid", "hard_sigmoid", "tanh", "elu", "selu", "softplus", "softsign",
     "swish", "gelu", "exponential", "relu6"}
)  # fmt: skip
OBJECT_CLASSES = frozenset(
    {
        # keras.initializers
        "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
        "Orthogonal", "Identity", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
        "LecunUniform",
        # keras.regularizers and keras.constraints
        "L1", "L2", "L1L2", "OrthogonalRegularizer", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
        "RadialConstraint",
        # qkeras
        "QInitializer", "Clip",
        # tfmot pruning schedules
        "PolynomialDecay", "ConstantSparsity",
    }
) | QUANTIZERS  # fmt: skip
MODULE_PREFIXES = ("keras", "tf_keras", "qkeras", "tensorflow_model_optimization")
_CALL = re.compile(r"^\s*([A-Za-z_]\w*)\s*(\((.*)\))?\s*$")
_LITERAL_ARG = re.compile(r"^\s*([A-Za-z_]\w*\s*=\s*)?([-+]?[\d.]+(e[-+]?\d+)?|True|False|None)\s*$")
MAX_CONFIG_BYTES = 50_000_000


def read_model_config(path: Path) -> dict[str, Any]:
    """The architecture of a .h5/.hdf5 or .keras model file, as JSON, without deserializing anything."""
    path = Path(path)
    text = _keras_archive_config(path) if path.suffix == ".keras" else _h5_config(path)
    try:
        config = json.loads(text)
    except ValueError as err:
        raise ModelLoadError(f"model file {path}: its architecture is not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"model file {path}: its architecture is not a JSON object")
    return config


def _h5_config(path: Path) -> str:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            raw = f.attrs.get("model_config")
    except OSError as err:
        reason = str(err).splitlines()[0]
        raise ModelLoadError(f"cannot read model file {path}: not a readable HDF5 file ({reason})") from None
    if raw is None:
        raise ModelLoadError(
            f"model file {path} holds no architecture (model_config): a weights-only file? "
            "accepted: a whole model saved with model.save()"
        )
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    if len(text) > MAX_CONFIG_BYTES:
        raise ModelLoadError(f"model file {path}: its architecture is {len(text):,} bytes, more than a model has")
    return text


def _keras_archive_config(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ModelLoadError(f"model file {path}: config.json is {info.file_size:,} bytes")
            return archive.read(info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, OSError) as err:
        raise ModelLoadError(f"cannot read model file {path}: not a readable .keras archive ({err})") from None
    except KeyError:
        raise ModelLoadError(f"model file {path}: the .keras archive has no config.json") from None


TOP_KEYS = frozenset({"class_name", "config", "module", "registered_name", "build_config", "compile_config"})


def check_model_config(config: dict[str, Any], path: Path) -> None:
    """Refuse a model architecture that could run code or that lepton_hw cannot convert."""
    try:
        _check_model(config, path)
    except (TypeError, AttributeError, RecursionError) as err:  # a malformed config: a list for a name, ...
        raise ModelLoadError(f"model file {path}: its architecture is malformed ({type(err).__name__})") from None


def _check_model(config: dict[str, Any], path: Path) -> None:
    top = config.get("class_name")
    unknown = sorted(set(config) - TOP_KEYS)
    if unknown:
        raise ModelLoadError(
            f"model file {path}: unknown top-level key(s) {', '.join(unknown)}; refused before loading"
        )
    _check_identity(config, f"model file {path}: the model")
    if not isinstance(top, str) or top not in MODEL_CLASSES:
        raise ModelLoadError(
            f"model file {path}: a model of class {top!r} is refused before loading; accepted: "
            f"{', '.join(sorted(MODEL_CLASSES))}"
        )
    inner = config.get("config")
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list):
        raise ModelLoadError(f"model file {path}: the architecture lists no layers")
    for layer in layers:
        _check_layer(layer, path)


def _check_layer(layer: Any, path: Path) -> None:
    if not isinstance(layer, dict):
        raise ModelLoadError(f"model file {path}: a layer entry is not an object")
    cls = layer.get("class_name")
    if not isinstance(cls, str):
        raise ModelLoadError(f"model file {path}: a layer's class_name is not a string")
    cfg: dict[str, Any] = layer["config"] if isinstance(layer.get("config"), dict) else {}
    name = cfg.get("name", layer.get("name", "?"))
    where = f"model file {path}: layer {name!r} of class {cls}"
    if cls in MERGE_CLASSES:
        raise ModelLoadError(
            f"{where} is refused before loading: only chains of layers (no branches or skips) are supported"
        )
    if cls not in LAYER_CLASSES:
        raise ModelLoadError(
            f"{where} is refused before loading (it is not supported, and loading it could run code from the "
            f"file); supported layers: {', '.join(sorted(LAYER_CLASSES - {'PruneLowMagnitude'}))}"
        )
    _check_identity(layer, where)
    if cls == "PruneLowMagnitude":
        _check_layer(cfg.get("layer"), path)
        cfg = {k: v for k, v in cfg.items() if k != "layer"}
    _check_values(cfg, where)


def _check_identity(obj: dict[str, Any], where: str) -> None:
    module = obj.get("module")
    if module is not None and not (isinstance(module, str) and module.split(".")[0] in MODULE_PREFIXES):
        raise ModelLoadError(f"{where} names module {module!r}; accepted: modules of {', '.join(MODULE_PREFIXES)}")
    registered = obj.get("registered_name")
    if registered not in (None, obj.get("class_name")):
        raise ModelLoadError(f"{where} names the custom object {registered!r}; custom objects are not accepted")


def _check_values(value: Any, where: str, key: str = "") -> None:
    """Walk a layer's config: nested objects, functions, activation and quantizer strings."""
    if isinstance(value, dict):
        if "class_name" in value:
            cls = value["class_name"]
            if not isinstance(cls, str) or cls not in OBJECT_CLASSES:
                raise ModelLoadError(
                    f"{where}: its {key or 'config'} is an object of class {cls!r}, which is refused before loading "
                    "(only Keras, QKeras and tfmot initializers, regularizers, constraints and quantizers are accepted)"
                )
            _check_identity(value, f"{where}: its {key or 'config'}")
        for k, v in value.items():
            if k in ("function", "function_type", "module_path") or (k == "fn" and v is not None):
                raise ModelLoadError(f"{where} holds a Python function ({k!r}); functions in a model are refused")
            _check_values(v, where, k)
    elif isinstance(value, list):
        for v in value:
            _check_values(v, where, key)
    elif isinstance(value, str) and (key == "activation" or key.endswith("quantizer")):
        _check_call(value, where, key)


def _check_call(text: str, where: str, key: str) -> None:
    known = ACTIVATIONS | QUANTIZERS
    match = _CALL.match(text)
    ok = match is not None and match.group(1) in known
    if ok and match is not None and match.group(3):
        ok = all(_LITERAL_ARG.match(arg) for arg in match.group(3).split(","))
    if not ok:
        raise ModelLoadError(
            f"{where}: {key} {text!r} is refused before loading; accepted: a Keras activation name or a QKeras "
            "quantizer with literal arguments, e.g. quantized_relu(4,1)"
        )


def check_model_file(path: Path) -> None:
    """Read and check ``path``'s architecture; raises ModelLoadError with the reason."""
    check_model_config(read_model_config(path), path)
