"""Tensor and reverse-mode autograd.

A :class:`Tensor` wraps an array of the active backend. Every differentiable op is a
:class:`Function` subclass with ``forward`` (arrays in, array out) and ``backward`` (the output's
gradient in, one gradient per input out) written side by side. ``Function.apply`` runs the forward
pass and, unless gradients are off, records the function on the result so that
:meth:`Tensor.backward` can walk the graph once in reverse topological order.
"""

from __future__ import annotations

import contextlib
import threading

import numpy

from . import backend, config
from .arguments import broadcast_error

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether ops record the graph (True outside :func:`no_grad`)."""
    return getattr(_state, "grad_enabled", True)


@contextlib.contextmanager
def no_grad():
    """Within this block no graph is recorded: inference and evaluation cost only the forward pass.

    Example:
        >>> import convlens as cl
        >>> x = cl.Tensor([1.0, 2.0], requires_grad=True)
        >>> with cl.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """
    previous = is_grad_enabled()
    _state.grad_enabled = False
    try:
        yield
    finally:
        _state.grad_enabled = previous


def _as_array(data, dtype=None):
    """An array of the active backend; floating arrays keep their dtype, the rest become float32."""
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.xp
    if dtype is not None:
        return xp.asarray(data, dtype=dtype)
    if isinstance(data, xp.ndarray) and data.dtype.kind == "f":
        return data
    if isinstance(data, (numpy.ndarray, numpy.floating)) and data.dtype.kind == "f":
        return xp.asarray(data)  # host floats keep their precision (copied to the GPU on CuPy)
    # Python numbers, lists and integer images default to floatx (float32), as in Keras.
    return xp.asarray(data, dtype=config.floatx())


class Tensor:
    """An array with an optional gradient, recorded in the autograd graph when it needs one.

    Args:
        data: array-like. Floating arrays keep their dtype (float64 works everywhere);
            Python numbers, lists and integer arrays become float32.
        requires_grad: whether :meth:`backward` should fill ``.grad`` for this tensor.
        dtype: an explicit dtype to cast to.

    Example:
        >>> import convlens as cl
        >>> x = cl.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad.tolist()
        [[2.0, 4.0], [6.0, 8.0]]
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name")
    __array_priority__ = 1000  # so ndarray + Tensor dispatches to Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"Only floating tensors can require gradients, got dtype {self.data.dtype}."
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._ctx: Function | None = None
        self.name = name

    # ----- array-like properties -----
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (copied to the host when the backend is CuPy)."""
        return backend.to_numpy(self.data)

    def item(self) -> float:
        return self.data.item()

    # ----- conversions, as a Keras/JAX array: float(metric.result()), numpy.asarray(tensor) -----
    def __float__(self) -> float:
        return float(self.data.item()) if self.data.size == 1 else float(self.data)

    def __int__(self) -> int:
        return int(self.data.item()) if self.data.size == 1 else int(self.data)

    def __array__(self, dtype=None, copy=None):
        """The values as a host NumPy array (NumPy's protocol; CuPy values are copied)."""
        array = backend.to_numpy(self.data)
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    # ----- Keras's Variable interface (weights and metric state are Tensors) -----
    @property
    def value(self) -> Tensor:
        """The current values, cut from the graph (Keras's ``variable.value``)."""
        return Tensor(self.data)

    @property
    def trainable(self) -> bool:
        """Whether training updates this tensor (Keras's ``variable.trainable``)."""
        return self.requires_grad

    @property
    def path(self) -> str | None:
        """The weight's ``layer/name`` path (Keras's ``variable.path``)."""
        return self.name

    def assign(self, value) -> Tensor:
        """Overwrite the values in place, keeping shape and dtype (Keras's ``assign``).

        Raises:
            ValueError: naming this tensor when the shapes differ.
        """
        array = value.data if isinstance(value, Tensor) else backend.xp.asarray(value)
        if array.shape != self.data.shape and array.size != 1:
            raise ValueError(
                f"assign to {self.name or 'a tensor'}: expected shape {self.data.shape}, "
                f"received {array.shape}."
            )
        self.data[...] = array
        return self

    def assign_add(self, value) -> Tensor:
        """Add ``value`` in place (Keras's ``assign_add``)."""
        return self.assign(self.data + (value.data if isinstance(value, Tensor) else value))

    def assign_sub(self, value) -> Tensor:
        """Subtract ``value`` in place (Keras's ``assign_sub``)."""
        return self.assign(self.data - (value.data if isinstance(value, Tensor) else value))

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({self.numpy()!r}{flag})"

    # ----- autograd -----
    def backward(self, grad=None) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires a gradient.

        Args:
            grad: the gradient flowing into this tensor; may be omitted for a one-element tensor,
                which is seeded with 1.

        Raises:
            RuntimeError: when this tensor does not require a gradient.
            ValueError: when ``grad`` is omitted for a tensor of more than one element, or has
                the wrong shape.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() called on a tensor that does not require a gradient.")
        if grad is None:
            if self.size != 1:
                raise ValueError(
                    f"backward() needs an explicit grad for a tensor of shape {self.shape}; "
                    "only one-element tensors are seeded with 1."
                )
            grad = backend.xp.ones_like(self.data)
        grad = _as_array(grad, self.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"backward(): grad has shape {grad.shape}, expected {self.shape}.")

        grads = {id(self): grad}
        for node in reversed(_topological_order(self)):
            node_grad = grads.pop(id(node), None)
            if node_grad is None:
                continue
            if node._ctx is None:
                # A new array, never `+=`: a backward may hand the same array to several inputs.
                node.grad = node_grad if node.grad is None else node.grad + node_grad
                continue
            function = node._ctx
            input_grads = function.backward(node_grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, parent_grad in zip(function.inputs, input_grads):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if parent_grad.shape != parent.shape:
                    raise RuntimeError(
                        f"{type(function).__name__}.backward returned a gradient of shape "
                        f"{parent_grad.shape} for an input of shape {parent.shape}."
                    )
                key = id(parent)
                grads[key] = parent_grad if key not in grads else grads[key] + parent_grad

    # ----- operators (defined in convlens.ops; bound below) -----
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.subtract(self, other)

    def __rsub__(self, other):
        return _ops.subtract(other, self)

    def __mul__(self, other):
        return _ops.multiply(self, other)

    def __rmul__(self, other):
        return _ops.multiply(other, self)

    def __truediv__(self, other):
        return _ops.divide(self, other)

    def __rtruediv__(self, other):
        return _ops.divide(other, self)

    def __pow__(self, other):
        return _ops.power(self, other)

    def __rpow__(self, other):
        return _ops.power(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.negative(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # Comparisons are elementwise and return boolean Tensors, as Keras tensors'. ``==`` and
    # ``!=`` are NOT: Tensors are hashed and looked up by identity (the autograd walk, weight
    # and layer bookkeeping), so ``__eq__``/``__hash__`` stay Python's; use ``ops.equal``.
    def __lt__(self, other):
        return _ops.less(self, other)

    def __le__(self, other):
        return _ops.less_equal(self, other)

    def __gt__(self, other):
        return _ops.greater(self, other)

    def __ge__(self, other):
        return _ops.greater_equal(self, other)

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.logical_not(self)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    # ----- truth value and dtype (float(), int() and numpy.asarray() are above) -----
    def __bool__(self) -> bool:
        # One element: its truth value, as NumPy and Keras. Several: Python's rule for sized
        # objects (true when it has rows), kept because code such as ``layer(x) and ...``
        # relies on it; NumPy would raise here.
        if self.size == 1:
            return bool(self.data.reshape(()).item())
        return len(self) > 0

    def astype(self, dtype) -> Tensor:
        """The values in ``dtype``; a floating-to-floating cast keeps the gradient."""
        return _ops.cast(self, dtype)

    # ----- a few methods, as NumPy and PyTorch users expect -----
    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops.min(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False):
        return _ops.var(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return _ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    @property
    def T(self):
        return _ops.transpose(self)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors reachable from ``root`` through recorded functions, inputs before outputs."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:  # iterative DFS: deep graphs must not hit Python's recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if node._ctx is not None:
            stack.extend((p, False) for p in node._ctx.inputs if p.requires_grad)
    return order


class Function:
    """A differentiable primitive. Subclasses write ``forward`` and ``backward`` side by side.

    ``forward(*arrays, **attributes)`` receives the inputs' arrays and saves on ``self`` only
    what ``backward`` needs. ``backward(grad)`` returns one gradient per input (a tuple, or a
    single array for one input), or ``None`` for an input that needs none; ``self.needs_grad``
    tells which inputs do, so expensive gradients can be skipped.
    """

    __slots__ = ("inputs", "needs_grad", "__dict__")

    def __init__(self, inputs: tuple[Tensor, ...]):
        self.inputs = inputs
        # Under no_grad nothing needs a gradient, so ops may skip saving what backward reads.
        enabled = is_grad_enabled()
        self.needs_grad = tuple(enabled and t.requires_grad for t in inputs)

    def forward(self, *arrays, **attributes):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **attributes) -> Tensor:
        """Run the forward pass on Tensors or arrays and record the graph when needed."""
        tensors = as_tensors(inputs)
        function = cls(tensors)
        try:
            out = function.forward(*(t.data for t in tensors), **attributes)
        except ValueError as error:  # NumPy's words name neither the op nor the rule
            if "could not be broadcast" not in str(error):
                raise
            raise broadcast_error(cls.__name__, [t.shape for t in tensors]) from None
        if not isinstance(out, backend.xp.ndarray):
            out = backend.xp.asarray(out)  # NumPy reductions to one value return scalars
        result = Tensor.__new__(Tensor)
        result.data, result.grad, result.name = out, None, None
        result.requires_grad = any(function.needs_grad)
        result._ctx = function if result.requires_grad else None
        return result


def as_tensors(values) -> tuple[Tensor, ...]:
    """Tensors for an op's inputs; Python numbers take the dtype of the op's first array input."""
    reference = None
    for value in values:
        if isinstance(value, Tensor):
            reference = value.dtype
            break
        if backend.is_array(value) and value.dtype.kind == "f":
            reference = value.dtype
            break
    return tuple(
        value if isinstance(value, Tensor) else Tensor(value, dtype=_dtype_for(value, reference))
        for value in values
    )


def _dtype_for(value, reference):
    if backend.is_array(value) and value.dtype.kind == "f":
        return None  # floating arrays keep their dtype
    return reference


def as_tensor(value, dtype=None) -> Tensor:
    """``value`` itself when it is a Tensor, else a new Tensor (no gradient) holding it."""
    return value if isinstance(value, Tensor) else Tensor(value, dtype=dtype)


from . import ops as _ops  # noqa: E402  (ops build on Function and Tensor, defined above)
