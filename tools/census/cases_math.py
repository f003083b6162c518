"""Census cases: every public `tf.math` function (float inputs, plus the integer and bool ones),
`tf.bitwise`, `tf.math.special`, the basics of `tf.linalg`, and `tf.image` resizes, flips, crops
and the other transforms input pipelines use.

Every public name of `tf.math` must be covered by a case here or named in `COVERED_ELSEWHERE`: the
module fails to import otherwise, so the census cannot silently fall behind TF's API."""
import tensorflow as tf

from registry import add, case

v1 = tf.compat.v1

UNARY_FLOAT = [
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "bessel_i0", "bessel_i0e", "bessel_i1",
    "bessel_i1e", "ceil", "cos", "cosh", "digamma", "erf", "erfc", "erfcinv", "erfinv", "exp", "expm1",
    "floor", "is_finite", "is_inf", "is_nan", "lgamma", "log", "log1p", "log_sigmoid", "ndtri", "negative",
    "reciprocal", "reciprocal_no_nan", "rint", "round", "rsqrt", "sigmoid", "sign", "sin", "sinh",
    "softplus", "softsign", "sqrt", "square", "tan", "tanh", "real", "imag", "conj", "angle",
    "log_softmax", "softmax", "l2_normalize", "zero_fraction", "lbeta", "cumsum", "cumprod",
    "cumulative_logsumexp",
]
BINARY_FLOAT = [
    "add", "atan2", "divide", "divide_no_nan", "equal", "floordiv", "floormod", "greater", "greater_equal",
    "igamma", "igammac", "less", "less_equal", "maximum", "minimum", "mod", "multiply", "multiply_no_nan",
    "nextafter", "not_equal", "pow", "squared_difference", "subtract", "truediv", "xdivy", "xlog1py", "xlogy",
    "zeta", "polygamma",
]
REDUCTIONS = [
    "reduce_euclidean_norm", "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod",
    "reduce_std", "reduce_sum", "reduce_variance", "count_nonzero", "argmax", "argmin",
]
INTEGER = ["bincount", "confusion_matrix", "invert_permutation", "in_top_k"]
BOOL = ["logical_and", "logical_or", "logical_not", "logical_xor", "reduce_all", "reduce_any"]
SPECIAL = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1", "bessel_k0",
           "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0", "bessel_y1", "dawsn", "expint",
           "fresnel_cos", "fresnel_sin", "spence"]
# Public tf.math names whose cases live elsewhere or below under another shape of call.
COVERED_ELSEWHERE = {
    "segment_max", "segment_mean", "segment_min", "segment_prod", "segment_sum",  # cases_array
    "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min", "unsorted_segment_prod",
    "unsorted_segment_sqrt_n", "unsorted_segment_sum",  # cases_array
    "top_k", "approx_max_k", "approx_min_k",  # cases_array (sorting)
    "special",  # the submodule: SPECIAL
    "add_n", "accumulate_n", "scalar_mul", "betainc", "polyval", "is_non_decreasing",
    "is_strictly_increasing", "sobol_sample",  # below, with their own shapes of call
}


def _unary(name):
    def fn(ctx):
        x = ctx.ph([4, 3])
        return getattr(tf.math, name)(x)
    return fn


def _binary(name):
    def fn(ctx):
        return getattr(tf.math, name)(ctx.ph([4, 3]), ctx.ph([3]))
    return fn


def _reduction(name):
    def fn(ctx):
        x = ctx.ph([4, 3])
        f = getattr(tf.math, name)
        if name in ("argmax", "argmin"):
            return [f(x, axis=1), f(x, axis=0, output_type=tf.int32)]
        return [f(x), f(x, axis=1, keepdims=True), f(x, axis=ctx.ph([1], tf.int32))]
    return fn


for _name in UNARY_FLOAT:
    add("math.unary", _name, _unary(_name))
for _name in BINARY_FLOAT:
    add("math.binary", _name, _binary(_name))
for _name in REDUCTIONS:
    add("math.reduction", _name, _reduction(_name))
for _name in SPECIAL:
    add("math.special", _name, lambda ctx, n=_name: getattr(tf.math.special, n)(ctx.ph([4, 3])))


@case("math.binary")
def add_n_and_accumulate_n(ctx):
    xs = [ctx.ph([4, 3]) for _ in range(3)]
    return [tf.math.add_n(xs), tf.math.accumulate_n(xs)]


@case("math.binary")
def scalar_mul(ctx):
    return tf.math.scalar_mul(ctx.ph([]), ctx.ph([4, 3]))


@case("math.binary")
def betainc(ctx):
    return tf.math.betainc(ctx.ph([4]), ctx.ph([4]), ctx.ph([4]))


@case("math.binary")
def polyval(ctx):
    return tf.math.polyval([ctx.ph([]), ctx.ph([]), ctx.ph([])], ctx.ph([4, 3]))


@case("math.binary")
def python_operators(ctx):
    a, b = ctx.ph([4, 3]), ctx.ph([4, 3])
    return [a + b, a - b, a * b, a / b, a // b, a % b, a ** b, -a, abs(a), a @ tf.transpose(b),
            a < b, a <= b, a > b, a >= b]


@case("math.reduction")
def monotonicity(ctx):
    x = ctx.ph([5])
    return [tf.math.is_non_decreasing(x), tf.math.is_strictly_increasing(x)]


@case("math.reduction")
def sobol_sample(ctx):
    return tf.math.sobol_sample(3, 5, skip=2)


# Integer and bool functions (the float ones above also take integers: `a + b` on int32 is the same
# op type; the integer-only ones and the integer forms that build different ops are here).

@case("math.integer")
def integer_arithmetic(ctx):
    a, b = ctx.ph([4], tf.int32), ctx.ph([4], tf.int32)
    c, d = ctx.ph([4], tf.int64), ctx.ph([4], tf.int64)
    return [a + b, a - b, a * b, a / b, a // b, a % b, a ** b, v1.truncatediv(a, b),
            v1.truncatemod(a, b), tf.math.floormod(c, d), tf.math.maximum(c, d), tf.abs(c), -c,
            tf.math.sign(a), tf.math.square(c), tf.math.reduce_sum(a), tf.math.reduce_prod(c),
            tf.math.reduce_max(a), tf.math.reduce_min(c), tf.math.cumsum(a), tf.math.equal(a, b),
            tf.math.divide_no_nan(tf.cast(a, tf.float32), tf.cast(b, tf.float32)), tf.math.argmax(a)]


@case("math.integer")
def bincount(ctx):
    x = ctx.ph([6], tf.int32)
    return [tf.math.bincount(x), tf.math.bincount(x, weights=ctx.ph([6]), minlength=4),
            tf.math.bincount(ctx.ph([2, 3], tf.int32), axis=-1, binary_output=True)]


@case("math.integer")
def confusion_matrix(ctx):
    return tf.math.confusion_matrix(ctx.ph([6], tf.int64), ctx.ph([6], tf.int64), num_classes=4,
                                    weights=ctx.ph([6]))


@case("math.integer")
def invert_permutation(ctx):
    return tf.math.invert_permutation(ctx.ph([5], tf.int32))


@case("math.integer")
def in_top_k(ctx):
    return [tf.math.in_top_k(ctx.ph([4], tf.int32), ctx.ph([4, 6]), 2),
            v1.math.in_top_k(ctx.ph([4, 6]), ctx.ph([4], tf.int64), 2)]


@case("math.integer")
def bitwise(ctx):
    a, b = ctx.ph([4], tf.int32), ctx.ph([4], tf.int32)
    return [tf.bitwise.bitwise_and(a, b), tf.bitwise.bitwise_or(a, b), tf.bitwise.bitwise_xor(a, b),
            tf.bitwise.invert(a), tf.bitwise.left_shift(a, b), tf.bitwise.right_shift(a, b)]


for _name in BOOL:
    def _bool_case(ctx, n=_name):
        a, b = ctx.ph([4, 3], tf.bool), ctx.ph([4, 3], tf.bool)
        f = getattr(tf.math, n)
        if n == "logical_not":
            return f(a)
        if n.startswith("reduce_"):
            return [f(a), f(a, axis=1)]
        return f(a, b)
    add("math.bool", _name, _bool_case)


def _check_math_coverage():
    public = {n for n in dir(tf.math) if not n.startswith("_")}
    covered = set(UNARY_FLOAT) | set(BINARY_FLOAT) | set(REDUCTIONS) | set(INTEGER) | set(BOOL) | COVERED_ELSEWHERE
    uncovered = sorted(public - covered)
    if uncovered:
        raise ImportError(f"tf.math functions without a census case: {uncovered}")


_check_math_coverage()


# ---- tf.linalg basics ----

LINALG = {
    "matmul": lambda c: tf.linalg.matmul(c.ph([4, 3]), c.ph([3, 5])),
    "matmul_transposed": lambda c: tf.linalg.matmul(c.ph([3, 4]), c.ph([5, 3]), transpose_a=True, transpose_b=True),
    "matmul_batched": lambda c: tf.linalg.matmul(c.ph([2, 4, 3]), c.ph([2, 3, 5])),
    "matmul_batched_broadcast": lambda c: tf.linalg.matmul(c.ph([2, 1, 4, 3]), c.ph([3, 3, 5]), adjoint_b=False),
    "matmul_batched_adjoint": lambda c: tf.linalg.matmul(c.ph([2, 3, 4]), c.ph([2, 5, 3]), adjoint_a=True,
                                                         adjoint_b=True),
    "matvec": lambda c: tf.linalg.matvec(c.ph([2, 4, 3]), c.ph([2, 3])),
    "tensordot": lambda c: tf.tensordot(c.ph([2, 3, 4]), c.ph([4, 3, 5]), axes=[[1, 2], [1, 0]]),
    "einsum_matmul": lambda c: tf.einsum("ij,jk->ik", c.ph([4, 3]), c.ph([3, 5])),
    "einsum_batched": lambda c: tf.einsum("bij,bjk->bik", c.ph([2, 4, 3]), c.ph([2, 3, 5])),
    "einsum_attention": lambda c: tf.einsum("bhqd,bhkd->bhqk", c.ph([2, 2, 5, 4]), c.ph([2, 2, 6, 4])),
    "einsum_reduce_and_transpose": lambda c: tf.einsum("ijk->kj", c.ph([2, 3, 4])),
    "einsum_outer_and_trace": lambda c: [tf.einsum("i,j->ij", c.ph([3]), c.ph([4])), tf.einsum("ii", c.ph([3, 3]))],
    "transpose": lambda c: [tf.transpose(c.ph([2, 3, 4]), [2, 0, 1]), tf.transpose(c.ph([4, 3]))],
    "matrix_transpose": lambda c: tf.linalg.matrix_transpose(c.ph([2, 4, 3])),
    "adjoint": lambda c: tf.linalg.adjoint(c.ph([2, 4, 3])),
    "band_part": lambda c: tf.linalg.band_part(c.ph([2, 4, 4]), 1, -1),
    "diag": lambda c: [tf.linalg.diag(c.ph([2, 3])), tf.linalg.diag(c.ph([2, 3]), k=1, num_rows=5),
                       v1.matrix_diag(c.ph([3])), tf.linalg.tensor_diag(c.ph([3]))],
    "diag_part": lambda c: [tf.linalg.diag_part(c.ph([2, 4, 3])), tf.linalg.diag_part(c.ph([4, 4]), k=(-1, 1)),
                            tf.linalg.tensor_diag_part(c.ph([3, 3]))],
    "set_diag": lambda c: tf.linalg.set_diag(c.ph([2, 3, 3]), c.ph([2, 3])),
    "eye": lambda c: [tf.eye(3), tf.eye(2, 3, batch_shape=[2]), tf.linalg.eye(c.ph([], tf.int32))],
    "trace": lambda c: tf.linalg.trace(c.ph([2, 3, 3])),
    "l2_normalize": lambda c: tf.linalg.l2_normalize(c.ph([4, 3]), axis=-1),
    "norm_euclidean": lambda c: [tf.norm(c.ph([4, 3])), tf.norm(c.ph([4, 3]), axis=1, keepdims=True)],
    "norm_ord": lambda c: [tf.norm(c.ph([4, 3]), ord=1, axis=1), tf.norm(c.ph([4, 3]), ord=float("inf"), axis=1),
                           tf.norm(c.ph([4, 3]), ord="fro", axis=[0, 1]), tf.norm(c.ph([4, 3]), ord=3, axis=0)],
    "global_norm": lambda c: tf.linalg.global_norm([c.ph([4, 3]), c.ph([2])]),
    "cross": lambda c: tf.linalg.cross(c.ph([4, 3]), c.ph([4, 3])),
}
for _name, _fn in LINALG.items():
    add("linalg", _name, _fn)


# ---- tf.image ----

def _images(ctx, shape=(2, 8, 8, 3)):
    return ctx.ph(list(shape))


IMAGE = {
    "resize_bilinear": lambda c: tf.image.resize(_images(c), [12, 12], method="bilinear"),
    "resize_nearest": lambda c: tf.image.resize(_images(c), [12, 12], method="nearest"),
    "resize_bicubic": lambda c: tf.image.resize(_images(c), [12, 12], method="bicubic"),
    "resize_area": lambda c: tf.image.resize(_images(c), [4, 4], method="area"),
    "resize_lanczos3": lambda c: tf.image.resize(_images(c), [12, 12], method="lanczos3"),
    "resize_antialias": lambda c: tf.image.resize(_images(c), [4, 4], method="bilinear", antialias=True),
    "resize_v1_bilinear_align_corners": lambda c: v1.image.resize_bilinear(_images(c), [12, 12], align_corners=True),
    "resize_v1_nearest_neighbor": lambda c: v1.image.resize_nearest_neighbor(_images(c), [12, 12]),
    "resize_v1_bicubic": lambda c: v1.image.resize_bicubic(_images(c), [12, 12]),
    "resize_v1_area": lambda c: v1.image.resize_area(_images(c), [4, 4]),
    "resize_images_v1": lambda c: v1.image.resize_images(_images(c), [12, 12]),
    "resize_with_pad": lambda c: tf.image.resize_with_pad(_images(c), 10, 12),
    "resize_with_crop_or_pad": lambda c: tf.image.resize_with_crop_or_pad(_images(c), 6, 10),
    "flip_left_right": lambda c: tf.image.flip_left_right(_images(c)),
    "flip_up_down": lambda c: tf.image.flip_up_down(_images(c)),
    "random_flip_left_right": lambda c: tf.image.random_flip_left_right(_images(c), seed=1),
    "random_flip_up_down": lambda c: tf.image.random_flip_up_down(_images(c, (8, 8, 3)), seed=1),
    "rot90": lambda c: [tf.image.rot90(_images(c)), tf.image.rot90(_images(c), k=c.ph([], tf.int32))],
    "transpose": lambda c: tf.image.transpose(_images(c)),
    "crop_to_bounding_box": lambda c: tf.image.crop_to_bounding_box(_images(c), 1, 2, 5, 4),
    "pad_to_bounding_box": lambda c: tf.image.pad_to_bounding_box(_images(c), 1, 2, 12, 12),
    "central_crop": lambda c: tf.image.central_crop(_images(c), 0.5),
    "random_crop": lambda c: tf.image.random_crop(_images(c, (8, 8, 3)), [5, 5, 3], seed=1),
    "crop_and_resize": lambda c: tf.image.crop_and_resize(_images(c), c.ph([3, 4]), c.ph([3], tf.int32), [4, 4]),
    "per_image_standardization": lambda c: tf.image.per_image_standardization(_images(c)),
    "convert_image_dtype": lambda c: [tf.image.convert_image_dtype(c.ph([8, 8, 3], tf.uint8), tf.float32),
                                      tf.image.convert_image_dtype(_images(c), tf.uint8, saturate=True)],
    "random_brightness_contrast": lambda c: tf.image.random_contrast(
        tf.image.random_brightness(_images(c), 0.2, seed=1), 0.5, 1.5, seed=2),
    "random_hue_saturation": lambda c: tf.image.random_saturation(
        tf.image.random_hue(_images(c, (8, 8, 3)), 0.1, seed=1), 0.5, 1.5, seed=2),
    "rgb_to_grayscale_hsv": lambda c: [tf.image.rgb_to_grayscale(_images(c)), tf.image.rgb_to_hsv(_images(c)),
                                       tf.image.hsv_to_rgb(_images(c))],
    "sample_distorted_bounding_box": lambda c: tf.image.sample_distorted_bounding_box(
        [8, 8, 3], c.ph([1, 2, 4]), seed=1, min_object_covered=0.1),
    "non_max_suppression": lambda c: tf.image.non_max_suppression(c.ph([6, 4]), c.ph([6]), 3, 0.5),
}
for _name, _fn in IMAGE.items():
    add("image", _name, _fn)


@case("image")
def decode_and_encode(ctx):
    data = ctx.ph([], tf.string)
    return [tf.io.decode_jpeg(data, channels=3), tf.io.decode_png(data, channels=3),
            tf.io.decode_image(data, channels=3, expand_animations=False),
            tf.io.encode_png(ctx.ph([8, 8, 3], tf.uint8)), tf.io.encode_jpeg(ctx.ph([8, 8, 3], tf.uint8))]
