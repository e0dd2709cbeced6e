"""Stacked-bar colours stay distinguishable for a reader with deuteranopia.

Each palette is passed through the Machado, Oliveira and Fernandes (2009) simulation of
deuteranopia (severity 1) in linear RGB, and adjacent segments are compared in CIELAB
(CIE76 distance). 20 is well above the few units a reader can just tell apart.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from enkat import figures

MACHADO_DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
WHITE = np.array([0.95047, 1.0, 1.08883])
MIN_DISTANCE = 20.0


def linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    t = (SRGB_TO_XYZ @ rgb_linear) / WHITE
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_by_deuteranope(hex_colour: str) -> np.ndarray:
    return lab(np.clip(MACHADO_DEUTERANOPIA @ linear(hex_colour), 0, 1))


def adjacent_distances(palette: list[str]) -> list[float]:
    return [
        float(np.linalg.norm(seen_by_deuteranope(a) - seen_by_deuteranope(b)))
        for a, b in itertools.pairwise(palette)
    ]


def test_the_simulation_confuses_red_and_green_but_not_blue_and_orange() -> None:
    """The check can fail: a red-green pair collapses, a blue-orange pair does not."""
    assert adjacent_distances(["#d62728", "#2ca02c"])[0] < MIN_DISTANCE
    assert adjacent_distances(["#0072B2", "#E69F00"])[0] > MIN_DISTANCE


@pytest.mark.parametrize("n", range(2, 8))
def test_ordinal_stacked_bars_are_distinguishable_under_deuteranopia(n: int) -> None:
    distances = adjacent_distances(figures.ordinal_palette(n))
    assert min(distances) >= MIN_DISTANCE, (n, figures.ordinal_palette(n), distances)


@pytest.mark.parametrize("n", range(2, 9))
def test_nominal_stacked_bars_are_distinguishable_under_deuteranopia(n: int) -> None:
    distances = adjacent_distances(figures.nominal_palette(n))
    assert min(distances) >= MIN_DISTANCE, (n, figures.nominal_palette(n), distances)
