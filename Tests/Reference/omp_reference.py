"""Reference side of the orthogonal matching pursuit tests: the plain rule in float64 numpy, one
target at a time, written from its definition (no Gram matrix, no batches, no Cholesky updates).

    python omp_reference.py SPEC_JSON

SPEC keys: dictionary (a file of float32, little-endian, anchors x width), targets (float32,
count x width), anchors, width, count, k. Prints a JSON list, one object per target:
{"atoms": [...], "coefficients": [...], "residual": r, "gaps": [...]}, where gaps[s] is the relative
difference between the largest and the second largest |correlation| at step s (so that a test can
tell a choice that float32 rounding may legitimately flip; an exact copy of the best atom is no
runner-up: it ties in any precision and loses by its index).

The rule, as OrthogonalMatchingPursuit documents it: choose the atom not yet chosen with the
largest |residual . atom| (lowest index on ties); stop when every correlation is zero, or when the
atom's distance to the span of the atoms chosen before is at most 1e-3 of its norm (the atom is
not added); refit all chosen atoms by least squares; stop when ||residual|| <= 1e-5 ||target||;
at most k atoms.
"""
import json
import sys

import numpy as np

RESIDUAL_TOLERANCE = 1e-5
DEPENDENCE_TOLERANCE = 1e-3


def pursue(dictionary, target, k):
    norm = np.linalg.norm(target)
    chosen, coefficients, gaps = [], np.zeros(0), []
    if norm == 0:
        return chosen, coefficients, 0.0, gaps
    residual = target.copy()
    for _ in range(min(k, dictionary.shape[0])):
        magnitudes = np.abs(dictionary @ residual)
        magnitudes[chosen] = 0
        best = int(np.argmax(magnitudes))  # the first of equal maxima
        if magnitudes[best] == 0:
            break
        # The runner-up among the atoms that are not copies of the best one (a copy ties exactly,
        # in any precision, and loses by its index).
        others = magnitudes[np.any(dictionary != dictionary[best], axis=1)]
        runner_up = others.max() if len(others) else 0.0
        gaps.append(float((magnitudes[best] - runner_up) / magnitudes[best]))
        atom = dictionary[best]
        if chosen:
            basis = dictionary[chosen]
            projection, *_ = np.linalg.lstsq(basis.T, atom, rcond=None)
            distance = np.linalg.norm(atom - basis.T @ projection)
        else:
            distance = np.linalg.norm(atom)
        if not distance > DEPENDENCE_TOLERANCE * np.linalg.norm(atom):
            break
        chosen.append(best)
        basis = dictionary[chosen]
        coefficients, *_ = np.linalg.lstsq(basis.T, target, rcond=None)
        residual = target - basis.T @ coefficients
        if np.linalg.norm(residual) <= RESIDUAL_TOLERANCE * norm:
            break
    return chosen, coefficients, float(np.linalg.norm(residual) / norm), gaps


def main():
    spec = json.loads(sys.argv[1])
    anchors, width, count = spec["anchors"], spec["width"], spec["count"]
    dictionary = np.fromfile(spec["dictionary"], dtype="<f4").reshape(anchors, width).astype(np.float64)
    targets = np.fromfile(spec["targets"], dtype="<f4").reshape(count, width).astype(np.float64)
    results = []
    for target in targets:
        atoms, coefficients, residual, gaps = pursue(dictionary, target, spec["k"])
        results.append({"atoms": atoms, "coefficients": [float(c) for c in coefficients], "residual": residual,
                        "gaps": gaps})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
