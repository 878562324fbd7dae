"""training.png (loss, accuracy and sparsity per epoch) and confusion.png, with matplotlib's Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on CI
    import matplotlib.pyplot as plt

    return plt


def plot_training(history: dict[str, list[float]], path: Path, title: str) -> None:
    plt = _pyplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_loss.plot(epochs, history["loss"], label="train")
    ax_loss.plot(epochs, history["val_loss"], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss (cross-entropy)", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, np.asarray(history["accuracy"]) * 100, label="train")
    ax_acc.plot(epochs, np.asarray(history["val_accuracy"]) * 100, label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy and sparsity")
    ax_sparsity = ax_acc.twinx()
    ax_sparsity.plot(epochs, np.asarray(history["sparsity"]) * 100, color="gray", linestyle="--", label="sparsity")
    ax_sparsity.set(ylabel="sparsity (%)", ylim=(0, 100))
    lines = ax_acc.get_legend_handles_labels()
    more = ax_sparsity.get_legend_handles_labels()
    ax_acc.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(confusion: np.ndarray, classes: tuple[str, ...], path: Path, title: str) -> None:
    plt = _pyplot()
    k = len(classes)
    fig, ax = plt.subplots(figsize=(1.2 + 0.6 * k, 1.0 + 0.6 * k))
    ax.imshow(confusion, cmap="Blues")
    for i in range(k):
        for j in range(k):
            color = "white" if confusion[i, j] > confusion.max() / 2 else "black"
            ax.text(j, i, str(confusion[i, j]), ha="center", va="center", color=color, fontsize=8)
    ax.set_xticks(range(k), classes, rotation=45, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
