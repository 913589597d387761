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
from minitensor.tensor.reduction import argmax, argmin, max, max_and_argmax, mean, min, prod, sum
from minitensor.tensor.shape_ops import (dimshuffle, flatten, reshape, shape, specify_shape,
                                         transpose)
from minitensor.tensor.subtensor import inc_subtensor, set_subtensor
from minitensor.tensor.construction import (alloc, arange, concatenate, join, ones, stack,
                                            zeros)
from minitensor.tensor.linalg import dot, outer
from minitensor.tensor import nnet, shared_randomstreams
from minitensor.gradient import Lop, Rop, grad, hessian, jacobian

globals().update(TYPED)  # bscalar ... dtensor4
globals().update(TYPED_PLURALS)  # bscalars ... dtensor4s
