"""Makes pts-parity.json, the expected output of HETMM's pixel-level template selection (PTS) on small point sets.

Not run by the test suite; PatchTemplateSelectionParityTests reads the committed JSON. Regenerate with Debian's
scikit-learn 1.2.1 (apt-get install python3-sklearn) and numpy:

    /usr/bin/python3 tests/Anomaly.ED.Tests/Templates/make_pts_parity.py

The reference (github:NarcissusEx/HETMM) clusters each pixel position's N template vectors with
sklearn.cluster.OPTICS(min_samples=N // tsize, metric=lambda x1, x2: 1 - x1.dot(x2.T)) (src/template.py) and then
picks the templates in its CUDA kernel PTS_cuda (src/models/cuda/HETMM_cuda.cu). `kernel_pts` below is that kernel
transcribed loop by loop for one position, keeping the kernel's float32 sums and strict comparisons, and recording the
chosen template indices instead of copying their vectors ('selected_by_float32_kernel', for comparison only).
`library_pts` is the same selection with the library's documented tie rule ('selected', what the test compares): the
kernel lets float32 rounding decide near-ties, which no other arithmetic (not even the GPU's fused multiply-adds)
reproduces. C >= 16 throughout so that scikit-learn's neighbour search
is brute force, as at the reference's channel counts (256 and more).
"""
import json
import os

import numpy as np
from sklearn.cluster import OPTICS


def optics_labels(pixel, tsize):
    optics = OPTICS(min_samples=pixel.shape[0] // tsize, metric=lambda x1, x2: 1 - x1.dot(x2.T))
    return optics.fit_predict(pixel.copy(order='C'))


def dot32(a, b):
    s = np.float32(0)
    for k in range(a.shape[0]):
        s = np.float32(s + np.float32(a[k] * b[k]))
    return s


def kernel_pts(pixel, labels, tsize):
    """PTS_cuda for one position, loop by loop, with the kernel's float32 sums and strict comparisons."""
    n = pixel.shape[0]
    chosen = []
    flags = [True] * n
    unique = []
    for i in range(n):
        if labels[i] != -1 and labels[i] not in unique:
            unique.append(labels[i])
    # easy_normal_prototype_init: each cluster's medoid (largest summed similarity to its members), first cluster first.
    for uid in unique:
        best, choose = np.float32(-1e5), -1
        for j in range(n):
            if labels[j] == uid:
                s = np.float32(0)
                for k in range(n):
                    if labels[k] == uid:
                        s = np.float32(s + dot32(pixel[j], pixel[k]))
                if s > best:
                    best, choose = s, j
        if len(chosen) >= tsize or choose == -1:
            break
        chosen.append(choose)
        flags[choose] = False
    # global_center_init: the medoid of all templates when no cluster was found.
    if not chosen:
        best, choose = np.float32(-1e5), -1
        for i in range(n):
            s = np.float32(0)
            for j in range(n):
                s = np.float32(s + dot32(pixel[i], pixel[j]))
            if s > best:
                best, choose = s, i
        chosen.append(choose)
        flags[choose] = False
    # hard_normal_prototype_selection: the template least similar (summed) to those already chosen.
    dp = [np.float32(0)] * n
    first = len(chosen)
    for count in range(first, tsize):
        best, choose = np.float32(1e5), -1
        for i in range(n):
            if flags[i]:
                s = np.float32(0)
                if count == first:
                    for j in chosen:
                        s = np.float32(s + dot32(pixel[i], pixel[j]))
                else:
                    s = dot32(pixel[i], pixel[chosen[-1]])
                dp[i] = np.float32(dp[i] + s)
                if dp[i] < best:
                    best, choose = dp[i], i
        if choose == -1:
            break
        chosen.append(choose)
        flags[choose] = False
    return chosen


TIE = 1e-6  # per summed term: PatchTemplateSelection.TieTolerancePerTerm


def library_pts(pixel, labels, tsize):
    """The same steps with float64 sums and the library's tie rule: a candidate replaces the best one only when it is
    better by more than TIE per summed term, so near-ties (such as the two members of a pair, whose sums differ only by
    float32 normalisation noise) go to the lowest index instead of to rounding."""
    n = pixel.shape[0]
    x = pixel.astype(np.float64)
    g = x @ x.T
    kept = min(tsize, n)
    chosen = []
    order = []
    for i in range(n):
        if labels[i] != -1 and labels[i] not in order:
            order.append(labels[i])

    def medoid(members):
        best, choose = None, -1
        for j in members:
            s = sum(g[j, k] for k in members)
            if choose < 0 or s > best + TIE * len(members):
                best, choose = s, j
        return choose

    for uid in order:
        if len(chosen) >= kept:
            break
        chosen.append(medoid([i for i in range(n) if labels[i] == uid]))
    if not chosen:
        chosen.append(medoid(list(range(n))))
    while len(chosen) < kept:
        best, choose = None, -1
        for i in range(n):
            if i not in chosen:
                s = sum(g[i, j] for j in chosen)
                if choose < 0 or s < best - TIE * len(chosen):
                    best, choose = s, i
        chosen.append(choose)
    return chosen


def normalise(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(rng, n, c, clusters, spread, outliers):
    centres = rng.standard_normal((clusters, c))
    members = n - outliers
    points = [centres[i % clusters] + spread * rng.standard_normal(c) for i in range(members)]
    points += [rng.standard_normal(c) for _ in range(outliers)]
    points = np.array(points)
    return normalise(points[rng.permutation(n)])


def make_case(rng, name, n, c, h, w, tsize, kind):
    pixels = []
    for p in range(h * w):
        if kind == 'clusters':
            pixels.append(clustered(rng, n, c, clusters=2 + p % 3, spread=0.15, outliers=n // 8))
        elif kind == 'pairs':
            pixels.append(clustered(rng, n, c, clusters=n // 2, spread=0.05, outliers=0))
        elif kind == 'duplicates':
            base = clustered(rng, n // 2, c, clusters=2, spread=0.1, outliers=1)
            pixels.append(np.concatenate([base, base[: n - n // 2]]))
        elif kind == 'chain':
            # Points on a great circle, gaps shrinking from template 0 on: OPTICS visits them in order and the
            # reachability plot falls steeply up to the last point.
            plane = np.linalg.qr(rng.standard_normal((c, 2)))[0].T
            angles = np.concatenate([[0.0], np.cumsum(0.5 * 0.7 ** np.arange(n - 1))])
            pixels.append(normalise(np.cos(angles)[:, None] * plane[0] + np.sin(angles)[:, None] * plane[1]))
        else:
            pixels.append(normalise(rng.standard_normal((n, c))))
    templates = np.stack(pixels, axis=-1).reshape(n, c, h, w)
    labels, selected, kernel = [], [], []
    for pixel in pixels:
        lab = optics_labels(pixel, tsize)
        labels.append([int(v) for v in lab])
        selected.append(library_pts(pixel, lab, tsize))
        kernel.append(kernel_pts(pixel, lab, tsize))
    return {
        'name': name,
        'n': n, 'c': c, 'h': h, 'w': w, 'sheets': tsize,
        # float32 values written as the shortest decimal that reads back to the same float32.
        'templates': [float(np.format_float_positional(v, unique=True)) for v in templates.reshape(-1)],
        'labels': labels,
        'selected': selected,
        'selected_by_float32_kernel': kernel,
    }


def main():
    rng = np.random.default_rng(20240611)
    cases = [
        make_case(rng, 'clusters-n40-k8', 40, 16, 2, 2, 8, 'clusters'),
        make_case(rng, 'clusters-n30-k5', 30, 20, 1, 3, 5, 'clusters'),
        make_case(rng, 'random-n24-k6', 24, 16, 2, 2, 6, 'random'),
        make_case(rng, 'random-n36-k4', 36, 24, 1, 2, 4, 'random'),
        make_case(rng, 'pairs-n12-k5-more-clusters-than-sheets', 12, 16, 1, 2, 5, 'pairs'),
        make_case(rng, 'duplicates-n20-k4', 20, 16, 1, 2, 4, 'duplicates'),
        make_case(rng, 'n16-k10-min-samples-one', 16, 16, 1, 2, 10, 'clusters'),
        make_case(rng, 'chain-n10-k5', 10, 16, 1, 2, 5, 'chain'),
        make_case(rng, 'n12-k20-more-sheets-than-templates', 12, 16, 1, 2, 20, 'clusters'),
    ]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pts-parity.json')
    with open(out, 'w') as f:
        json.dump({'source': 'make_pts_parity.py, scikit-learn 1.2.1', 'cases': cases}, f, separators=(',', ':'))
    for case in cases:
        clusters = [len(set(l) - {-1}) for l in case['labels']]
        differ = sum(a != b[: len(a)] for a, b in zip(case['selected'], case['selected_by_float32_kernel']))
        print(case['name'], 'clusters per position:', clusters, 'positions where the float32 kernel differs:', differ)


if __name__ == '__main__':
    main()
