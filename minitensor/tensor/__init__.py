"""The tensor namespace, Theano's ``T``: types, constructors and every op's public name.

>>> import minitensor.tensor as T
>>> x = T.dmatrix('x')
>>> x.type
TensorType(float64, matrix)
>>> x.type is T.dmatrix
True
"""

from minitensor.tensor.type import (TYPED, TYPED_PLURALS, TensorType, col, cols, matrices, matrix,
                                    row, rows, scalar, scalars, tensor, tensor3, tensor3s, tensor4,
                                    tensor4s, vector, vectors)
from minitensor.tensor.variable import TensorConstant, TensorVariable, as_tensor_variable, constant
from minitensor.tensor.elemwise import (abs_, add, and_, cast, clip, cos, eq, exp, expm1, fill, ge, gt,
                                        int_div, invert, le, log, log1p, lt, maximum, minimum, mul, neg,
                                        neq, ones_like, or_, pow, second, sgn, sin, sqr, sqrt, sub,
                                        switch, tanh, true_div, zeros_like)
from minitensor.tensor.math_functions import (allclose, arccos, arccosh, arcsin, arcsinh, arctan,
                                              arctan2, arctanh, bitwise_xor, ceil, cosh, deg2rad, exp2,
                                              floor, inv, iround, isclose, isinf, isnan, log10, log2,
                                              mod, power, rad2deg, round, round_half_away_from_zero,
                                              round_half_to_even, sinh, tan, tensor_copy, trunc, xor)
from minitensor.tensor.special import erf, erfc, gamma, gammaln
from minitensor.tensor.reduction import (all, any, argmax, argmin, max, max_and_argmax, mean, min, prod,
                                         ptp, std, sum, var)
from minitensor.tensor.shape_ops import (dimshuffle, flatten, reshape, shape, specify_shape,
                                         swapaxes, transpose, unbroadcast)
from minitensor.tensor.subtensor import inc_subtensor, set_subtensor
from minitensor.tensor.construction import (alloc, arange, concatenate, eye, horizontal_stack,
                                            identity_like, join, mgrid, ogrid, ones, stack, stacklists,
                                            tri, tril, triu, vertical_stack, zeros)
from minitensor.tensor.broadcast import (Rebroadcast, addbroadcast, patternbroadcast, shape_padaxis,
                                         shape_padleft, shape_padright, squeeze)
from minitensor.tensor.linalg import batched_dot, batched_tensordot, dot, outer, tensordot
from minitensor.tensor.extra_ops import (bincount, choose, cumprod, cumsum, diff, fill_diagonal,
                                         fill_diagonal_offset, flatnonzero, nonzero, nonzero_values,
                                         ravel_multi_index, repeat, searchsorted, to_one_hot, unique,
                                         unravel_index, where)
from minitensor.tensor.sorting import argsort, sort
from minitensor.tensor.rearranging import inverse_permutation, permute_row_elements, roll, split, tile
from minitensor.tensor.nlinalg import diag, diagonal, extract_diag, trace
from minitensor.tensor import extra_ops, nlinalg, nnet, shared_randomstreams
from minitensor.gradient import Lop, Rop, grad, hessian, jacobian
from minitensor.tensor import inplace, opt  # noqa: E402  (Theano's theano.tensor.inplace and .opt)

globals().update(TYPED)  # bscalar ... dtensor4
globals().update(TYPED_PLURALS)  # bscalars ... dtensor4s
