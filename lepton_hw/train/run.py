"""``lepton-hw train``: quantization-aware training with magnitude pruning, then import into the IR.

The steps, in order: seed everything (TensorFlow op determinism on, so the same config gives
the same weights); load and split the dataset; build the QKeras model; wrap its QConv2D and
QDense layers in tfmot's ``prune_low_magnitude`` with a polynomial-decay (or constant)
schedule that reaches the target sparsity exactly at a mask update; train; strip the pruning
wrappers; save model.h5; import it into the IR; measure the test set with the integer
interpreter (the hardware's arithmetic) and check that Keras gives the same logits.

Outputs (DIR, written to a temporary folder and renamed into place at the end):
model.h5, ir/ (ir.json + weights.npz), metrics.json, training.png, confusion.png,
config.yaml (the config with every default filled in), test_x.npy / test_y.npy (the test set
as model inputs, pixel / 256, and labels: ready for ``predict`` and ``verify``).
"""

from __future__ import annotations

import json
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lepton_hw.config import TrainConfig
from lepton_hw.errors import ConfigError
from lepton_hw.frontend.keras_env import tf_keras
from lepton_hw.fsutil import atomic_output_dir, refuse_existing
from lepton_hw.train.datasets import Splits, load_dataset, split_dataset, to_model_input

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    output: Path
    metrics: dict[str, Any]


def train(config: TrainConfig, output: Path, *, force: bool = False, progress: Progress | None = None) -> TrainResult:
    """Train, import and measure the model of ``config``; write everything to ``output``."""
    say: Progress = progress or (lambda line: None)
    output = Path(output)
    refuse_existing(output, force)  # before minutes of training; checked again when writing
    started = time.perf_counter()

    dataset = load_dataset(config.dataset, config.model.input)
    if config.model.classes is not None and config.model.classes != len(dataset.classes):
        raise ConfigError(
            f"model.classes: {config.model.classes}, but the dataset has {len(dataset.classes)} classes "
            f"({', '.join(dataset.classes)})"
        )
    splits = split_dataset(dataset, config.dataset.split)
    size = dataset.size
    say(
        f"dataset: {dataset.description}: {len(dataset.y)} frames, classes {', '.join(dataset.classes)}; "
        f"{len(splits.train.y)} train / {len(splits.validation.y)} validation / {len(splits.test.y)} test "
        f"({time.perf_counter() - started:.1f} s)"
    )

    keras = _seeded_keras(config.training.seed)
    model, history = _fit(config, splits, size, say)
    fit_seconds = time.perf_counter() - started

    with atomic_output_dir(output, force=force) as tmp:
        with warnings.catch_warnings():  # tf_keras' notes on the legacy .h5 format and QKeras' quantizer objects
            warnings.simplefilter("ignore", UserWarning)
            model.save(tmp / "model.h5", include_optimizer=False)
        pruned = _pruned_sparsity(model)
        keras.backend.clear_session()
        graph = _import(tmp)
        metrics = _measure(config, graph, splits, pruned, history)
        metrics["seconds"] = {"training": round(fit_seconds, 2), "total": round(time.perf_counter() - started, 2)}
        _write_outputs(config, splits, metrics, history, tmp)
    say(
        f"test accuracy {metrics['test']['accuracy']:.2%} (integer interpreter, {len(splits.test.y)} frames); "
        f"sparsity {metrics['model']['sparsity']:.1%}; {metrics['model']['nonzero_params']} of "
        f"{metrics['model']['params']} parameters non-zero; Keras == interpreter on "
        f"{metrics['bit_exact']['samples'] - metrics['bit_exact']['mismatched_samples']}/"
        f"{metrics['bit_exact']['samples']} test frames"
    )
    return TrainResult(output, metrics)


def _seeded_keras(seed: int) -> Any:
    keras = tf_keras()
    import tensorflow as tf

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow generators
    tf.config.experimental.enable_op_determinism()
    return keras


def _fit(config: TrainConfig, splits: Splits, size: tuple[int, int], say: Progress) -> tuple[Any, dict[str, list]]:
    keras = tf_keras()
    import tensorflow_model_optimization as tfmot

    from lepton_hw.train.model import build_model

    t = config.training
    model = build_model(config.model, size, len(splits.train.classes), config.name, seed=t.seed)
    steps_per_epoch = math.ceil(len(splits.train.y) / t.batch_size)
    callbacks: list[Any] = []
    if config.pruning.target_sparsity > 0:
        model = _wrap_for_pruning(model, config, steps_per_epoch)
        callbacks.append(tfmot.sparsity.keras.UpdatePruningStep())
    learning_rate: Any = t.learning_rate
    if t.lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(t.learning_rate, t.epochs * steps_per_epoch, alpha=0.05)
    optimizer = {
        "adam": lambda: keras.optimizers.Adam(learning_rate),
        "sgd": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate),
    }[t.optimizer]()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])

    history: dict[str, list] = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "sparsity": []}
    callbacks.append(_epoch_logger(keras, t.epochs, history, say))
    if t.early_stopping is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=t.early_stopping.monitor,
                patience=t.early_stopping.patience,
                restore_best_weights=True,
                # never stop before the target sparsity is reached (start_from_epoch counts from 0)
                start_from_epoch=config.pruning_end_epoch - 1 if config.pruning.target_sparsity > 0 else 0,
            )
        )
    model.fit(
        to_model_input(splits.train.x),
        splits.train.y,
        validation_data=(to_model_input(splits.validation.x), splits.validation.y),
        epochs=t.epochs,
        batch_size=t.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    return tfmot.sparsity.keras.strip_pruning(model), history


def _wrap_for_pruning(model: Any, config: TrainConfig, steps_per_epoch: int) -> Any:
    keras = tf_keras()
    import tensorflow_model_optimization as tfmot

    p = config.pruning
    begin = p.begin_epoch * steps_per_epoch
    window = config.pruning_end_epoch * steps_per_epoch - begin
    if window < p.frequency:
        raise ConfigError(
            f"pruning.frequency: {p.frequency} steps, but pruning runs for only {window} steps "
            f"({steps_per_epoch} per epoch from epoch {p.begin_epoch} to {config.pruning_end_epoch}); "
            "lower the frequency or widen begin_epoch..end_epoch"
        )
    # tfmot updates the mask only every `frequency` steps up to end_step: end on an update
    # step, so that the last update applies the full target sparsity.
    end = begin + (window // p.frequency) * p.frequency
    if p.schedule == "polynomial":
        schedule = tfmot.sparsity.keras.PolynomialDecay(0.0, p.target_sparsity, begin, end, frequency=p.frequency)
    else:
        schedule = tfmot.sparsity.keras.ConstantSparsity(p.target_sparsity, begin, frequency=p.frequency)

    def wrap(layer: Any) -> Any:
        if type(layer).__name__ in ("QConv2D", "QDense"):
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)
        return layer

    return keras.models.clone_model(model, clone_function=wrap)


def _mask_sparsity(model: Any) -> float:
    """The fraction of zeros in the pruning masks of a wrapped model (0 when nothing is pruned)."""
    zeros = total = 0
    for layer in model.layers:
        for _weight, mask, _threshold in getattr(layer, "pruning_vars", ()):
            values = mask.numpy()
            zeros += int(values.size - np.count_nonzero(values))
            total += int(values.size)
    return zeros / total if total else 0.0


def _epoch_logger(keras: Any, epochs: int, history: dict[str, list], say: Progress) -> Any:
    """A Keras callback that records the history and reports one line per epoch."""

    class EpochLog(keras.callbacks.Callback):
        started = 0.0

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            sparsity = _mask_sparsity(self.model)
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                history[key].append(float(logs.get(key, math.nan)))
            history["sparsity"].append(sparsity)
            say(
                f"epoch {epoch + 1:>3}/{epochs}  loss {logs.get('loss', math.nan):.4f}  "
                f"acc {logs.get('accuracy', math.nan):6.2%}  val_loss {logs.get('val_loss', math.nan):.4f}  "
                f"val_acc {logs.get('val_accuracy', math.nan):6.2%}  sparsity {sparsity:5.1%}  "
                f"({time.perf_counter() - self.started:.1f} s)"
            )

    return EpochLog()


def _pruned_sparsity(model: Any) -> dict[str, float]:
    """Per QConv2D/QDense layer, the fraction of float kernel weights the pruning set to zero."""
    result = {}
    for layer in model.layers:
        if type(layer).__name__ in ("QConv2D", "QDense"):
            kernel = layer.get_weights()[0]
            result[layer.name] = float(1 - np.count_nonzero(kernel) / kernel.size)
    return result


def _import(folder: Path) -> Any:
    """Import folder/model.h5 into folder/ir/, recording the model relative to ir/ (a movable output)."""
    from lepton_hw.ir.graph import Graph

    graph = import_trained(folder / "model.h5", folder / "ir")
    return Graph(graph.name, graph.nodes, dict(graph.source, model=str(folder / "model.h5")))


def import_trained(model_path: Path, ir_folder: Path) -> Any:
    """Import a trained model.h5 into ``ir_folder`` (made if missing), naming the model relative to it."""
    from lepton_hw.frontend.qkeras import file_sha256, import_model
    from lepton_hw.ir.graph import Graph
    from lepton_hw.ir.serialize import save_graph

    graph = import_model(model_path)
    source = dict(graph.source, model="../model.h5", sha256=file_sha256(model_path))
    graph = Graph(graph.name, graph.nodes, source)
    ir_folder.mkdir(exist_ok=True)
    save_graph(graph, ir_folder)
    return graph


def _measure(
    config: TrainConfig,
    graph: Any,
    splits: Splits,
    pruned: dict[str, float],
    history: dict[str, list],
) -> dict[str, Any]:
    from lepton_hw.engines import run_engine
    from lepton_hw.train.metrics import classification_metrics, layer_costs

    x_test = to_model_input(splits.test.x)
    logits_ir = run_engine(graph, x_test, "ir")
    logits_keras = run_engine(graph, x_test, "keras")
    mismatched = np.any(logits_ir != logits_keras, axis=1)
    predicted = np.argmax(logits_ir, axis=1)
    test = classification_metrics(splits.test.y, predicted, splits.test.classes)
    validation_logits = run_engine(graph, to_model_input(splits.validation.x), "ir")
    layers, totals = layer_costs(graph, pruned)
    return {
        "name": config.name,
        "classes": list(splits.test.classes),
        "samples": {"train": len(splits.train.y), "validation": len(splits.validation.y), "test": len(splits.test.y)},
        "test": test,
        "validation_accuracy": float(np.mean(np.argmax(validation_logits, axis=1) == splits.validation.y)),
        "keras_test_accuracy": float(np.mean(np.argmax(logits_keras, axis=1) == splits.test.y)),
        "bit_exact": {
            "engines": ["ir", "keras"],
            "samples": len(x_test),
            "mismatched_samples": int(np.count_nonzero(mismatched)),
        },
        "target_sparsity": config.pruning.target_sparsity,
        "model": {**totals, "input": list(graph.input.shape), "input_type": str(graph.input.type)},
        "layers": layers,
        "epochs_run": len(history["loss"]),
        "history": history,
    }


def _write_outputs(
    config: TrainConfig, splits: Splits, metrics: dict[str, Any], history: dict[str, list], folder: Path
) -> None:
    from lepton_hw.train.plots import plot_confusion, plot_training

    (folder / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    (folder / "config.yaml").write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
    np.save(folder / "test_x.npy", to_model_input(splits.test.x).astype(np.float64))
    np.save(folder / "test_y.npy", splits.test.y)
    plot_training(history, folder / "training.png", f"{config.name}: training")
    confusion = np.asarray(metrics["test"]["confusion_matrix"])
    title = f"{config.name}: test accuracy {metrics['test']['accuracy']:.1%}"
    plot_confusion(confusion, splits.test.classes, folder / "confusion.png", title)
