//! The tree compiled into a list of operations on slots, run a chunk of points at a time: each operation
//! goes over every vector of the chunk before the next one starts, so the cost of choosing the operation
//! is paid once per chunk, and the lanes see exactly the operations one point alone would.

use super::bound::{Accuracy, Bounded, bound};
use super::functions::MathFunction;
use super::tree::{Binary, Node, power_int};
use crate::math;
use crate::simd::{CHUNK_VECTORS, ChunkWork, Lanes, Token};

/// Where an operation reads an operand.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Arg {
    /// Coordinate `k` of the points.
    Input(u16),
    /// The result of an earlier operation.
    Slot(u16),
    /// A constant.
    Constant(f64),
}

/// What an operation computes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// `a` itself: the last operation of a program whose value is a variable or a constant, so that
    /// every program leaves its value in a slot.
    Copy,
    Negate,
    Binary(Binary),
    PowerInt(i32),
    Call1(MathFunction),
    /// `exp` of arguments known to lie in the range [`math::exp_normal_over`] accepts (the same bits, less work).
    ExpNormal,
    /// `sin` of arguments known to be inside its easy range, [`math::sin_near_over`] (the same bits, less
    /// work).
    SinNear,
    /// `cos` of arguments known to be inside its easy range, [`math::cos_near_over`] (the same bits, less
    /// work).
    CosNear,
    Call2(MathFunction),
}

impl Kind {
    /// Nanoseconds per point of this operation on one thread of a 2-vCPU AMD EPYC Zen 5 running the
    /// AVX-512 path (`benches/scripts/op_costs.sh`): what the cost model scales one calibration by.
    fn work(self) -> f64 {
        match self {
            Kind::Copy | Kind::Negate | Kind::Binary(Binary::Add | Binary::Sub | Binary::Mul) => WORK_ARITHMETIC,
            Kind::Binary(Binary::Div) => WORK_DIVIDE,
            Kind::Binary(_) => WORK_COMPARE,
            // Repeated squaring: a product per bit of the exponent, and a division for a negative one.
            Kind::PowerInt(k) => {
                let products = WORK_ARITHMETIC * f64::from(k.unsigned_abs().max(1).ilog2() + 1);
                products + if k < 0 { WORK_DIVIDE } else { 0.0 }
            }
            Kind::ExpNormal => 0.3,
            Kind::SinNear | Kind::CosNear => 0.6,
            Kind::Call1(f) | Kind::Call2(f) => f.work(),
        }
    }
}

/// Nanoseconds per point of an addition, a subtraction, a product or a negation ([`Kind::work`]).
const WORK_ARITHMETIC: f64 = 0.05;
/// Of a division.
const WORK_DIVIDE: f64 = 0.26;
/// Of a comparison (its NaN check included).
const WORK_COMPARE: f64 = 0.14;

/// One operation: `out = kind(a, b)` (`b` unused by the one-operand kinds).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Op {
    kind: Kind,
    a: Arg,
    b: Arg,
    out: u16,
}

/// A compiled expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Program {
    ops: Vec<Op>,
    /// Slots the operations need.
    slots: usize,
}

/// Builds the operations, handing slots out again once their value has been read (each node's value is
/// read once), so a program needs as many slots as the tree is deep, not as it is large.
struct Compiler<'a> {
    /// Where the variables lie, when known.
    domain: Option<&'a [Bounded]>,
    ops: Vec<Op>,
    free: Vec<u16>,
    slots: u16,
}

impl Compiler<'_> {
    fn release(&mut self, arg: Arg) {
        if let Arg::Slot(slot) = arg {
            self.free.push(slot);
        }
    }

    fn emit(&mut self, kind: Kind, a: Arg, b: Arg) -> Arg {
        self.release(a);
        self.release(b);
        let out = self.free.pop().unwrap_or_else(|| {
            self.slots += 1;
            self.slots - 1
        });
        self.ops.push(Op { kind, a, b, out });
        Arg::Slot(out)
    }

    fn node(&mut self, node: &Node) -> Arg {
        let none = Arg::Constant(0.0);
        match node {
            Node::Number(value) => Arg::Constant(*value),
            Node::Variable(k) => Arg::Input(*k as u16),
            Node::Negate(a) => {
                let a = self.node(a);
                self.emit(Kind::Negate, a, none)
            }
            Node::Binary(op, a, b) => {
                let (a, b) = (self.node(a), self.node(b));
                self.emit(Kind::Binary(*op), a, b)
            }
            Node::PowerInt(a, k) => {
                let a = self.node(a);
                self.emit(Kind::PowerInt(*k), a, none)
            }
            Node::Call(f, arguments) => match &arguments[..] {
                [x] => {
                    // The argument's interval over the domain, where one is known and the function has a
                    // shortcut: inside the shortcut's range, it is taken.
                    let interval = matches!(f, MathFunction::Exp | MathFunction::Sin | MathFunction::Cos)
                        .then(|| {
                            self.domain
                                .and_then(|domain| bound(x, domain, &Accuracy::CPU, &Accuracy::CPU))
                        })
                        .flatten()
                        .map(|b| (b.value.lo, b.value.hi));
                    let kind = match (*f, interval) {
                        (MathFunction::Exp, Some((lo, hi))) if math::exp_normal_over(lo, hi) => Kind::ExpNormal,
                        (MathFunction::Sin, Some((lo, hi))) if math::sin_near_over(lo, hi) => Kind::SinNear,
                        (MathFunction::Cos, Some((lo, hi))) if math::cos_near_over(lo, hi) => Kind::CosNear,
                        (f, _) => Kind::Call1(f),
                    };
                    let x = self.node(x);
                    self.emit(kind, x, none)
                }
                [a, b] => {
                    let (a, b) = (self.node(a), self.node(b));
                    self.emit(Kind::Call2(*f), a, b)
                }
                // The parser checks the count; an impossible call is NaN.
                _ => Arg::Constant(f64::NAN),
            },
        }
    }
}

impl Program {
    /// The operations of `node`, in the order of a depth-first walk; `domain` bounds the variables where
    /// they are known, and the program may then take shortcuts that return the same bits there (and only
    /// there).
    pub(crate) fn compile(node: &Node, domain: Option<&[Bounded]>) -> Program {
        let mut compiler = Compiler {
            domain,
            ops: Vec::new(),
            free: Vec::new(),
            slots: 0,
        };
        // The root's operation comes last (a walk emits a node after its operands), and its value is the
        // program's; a variable or a constant at the root is copied, so that there is one.
        if let value @ (Arg::Input(_) | Arg::Constant(_)) = compiler.node(node) {
            compiler.emit(Kind::Copy, value, value);
        }
        Program {
            ops: compiler.ops,
            slots: usize::from(compiler.slots),
        }
    }

    /// Slots of scratch the program needs, each `width` values wide.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// What one point costs, in nanoseconds on the machine [`Kind::work`]'s table was measured on: the
    /// sum of its operations' costs. A prediction for the cost model (see
    /// [`Kernel::cost_scale`](crate::Kernel::cost_scale)), not a promise.
    pub(crate) fn work(&self) -> f64 {
        self.ops.iter().map(|op| op.kind.work()).sum()
    }

    /// How many operations it runs per point.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ops.len()
    }

    /// Runs the operations on values `0..count` of a chunk [`CHUNK_VECTORS`] wide: coordinate `j` of value
    /// `k` is `inputs[j·CHUNK_VECTORS + k]`, and `slots` holds [`slots`](Self::slots)`·CHUNK_VECTORS`
    /// values. Each value's result goes to `sink`, in order, and the sink comes back. Arithmetic runs in
    /// the caller's loop; each call of a function runs out of line ([`Lanes::run_chunk`]), so that the
    /// language's functions are compiled once per lane type, however many loops evaluate programs.
    #[inline(always)]
    pub(crate) fn run<V: Lanes, S: Sink<V>>(
        &self,
        token: Token<V>,
        inputs: &[V],
        slots: &mut [V],
        count: usize,
        mut sink: S,
    ) -> S {
        let width = CHUNK_VECTORS;
        let Some((last, ops)) = self.ops.split_last() else {
            return sink;
        };
        for op in ops {
            op.run(token, inputs, slots, width, count, Unused);
        }
        if V::SINK_AS_COMPUTED {
            return last.run(token, inputs, slots, width, count, sink);
        }
        last.run(token, inputs, slots, width, count, Unused);
        for &value in &slots[usize::from(last.out) * width..][..count] {
            sink.take(value);
        }
        sink
    }

    /// The value at one point (`point[j]` coordinate `j`).
    pub(crate) fn eval(&self, point: &[f64]) -> f64 {
        let Some(last) = self.ops.last() else {
            return f64::NAN;
        };
        let mut slots = vec![0.0; self.slots];
        self.ops[..].run(0.0f64.token(), point, &mut slots, 1, 1);
        slots[usize::from(last.out)]
    }
}

/// Operations, in order, on a chunk.
impl ChunkWork for [Op] {
    #[inline(always)]
    fn run<V: Lanes>(&self, token: Token<V>, inputs: &[V], slots: &mut [V], width: usize, count: usize) {
        for op in self {
            op.run(token, inputs, slots, width, count, ());
        }
    }
}

/// Where [`Program::run`] hands each value's result. (A trait rather than a closure: its calls are
/// inlined into the vector loop, compiled for the processor's instruction set, where a closure's may not
/// be.)
pub(crate) trait Sink<V> {
    /// Whether an operation handing values to it computes the language's functions in place: only for
    /// `()`, the sink of the out-of-line chunk ([`Lanes::run_chunk`]); any other sink gets a function's
    /// values from that chunk, so that the functions are compiled once per lane type.
    const IN_PLACE: bool = false;

    /// Takes the next value's result.
    fn take(&mut self, value: V);
}

/// Hands the results to nothing, in the out-of-line chunk.
impl<V> Sink<V> for () {
    const IN_PLACE: bool = true;

    #[inline(always)]
    fn take(&mut self, _: V) {}
}

/// Hands the results to nothing, in the caller's loop (the operations before the last).
struct Unused;

impl<V> Sink<V> for Unused {
    #[inline(always)]
    fn take(&mut self, _: V) {}
}

impl Op {
    /// Runs the operation on values `0..count` of a chunk (as [`Program::run`] says), handing each value
    /// it computes to `also` as well, and returns `also`. (By value: passed by reference, its state
    /// went through memory at every value.) A function runs here only for the sink `()` ([`Sink::IN_PLACE`]):
    /// with any other, it runs out of line, and its values go to `also` after.
    #[inline(always)]
    fn run<V: Lanes, S: Sink<V>>(
        &self,
        token: Token<V>,
        inputs: &[V],
        slots: &mut [V],
        width: usize,
        count: usize,
        mut also: S,
    ) -> S {
        let out = usize::from(self.out) * width;
        let (a, b) = (self.a, self.b);
        // For every value `k` of the chunk: `$value` (which reads operands with `arg!(a, k)`) stored in the
        // operation's slot and handed to `also`. (A macro, not a closure, so that it is inlined into the
        // vector loop, and so that it may read the slots it writes.)
        macro_rules! each {
            (|$k:ident| $value:expr) => {
                for $k in 0..count {
                    let value = $value;
                    slots[out + $k] = value;
                    also.take(value);
                }
            };
        }
        macro_rules! arg {
            ($arg:expr, $k:expr) => {
                read(token, $arg, inputs, slots, width, $k)
            };
        }
        match self.kind {
            Kind::Copy => each!(|k| arg!(a, k)),
            Kind::Negate => each!(|k| arg!(a, k).neg()),
            Kind::Binary(binary) => each!(|k| binary.apply(arg!(a, k), arg!(b, k))),
            Kind::PowerInt(power) => each!(|k| power_int(arg!(a, k), power)),
            _ if !S::IN_PLACE => {
                // A function's code is compiled once per lane type, out of line (in chunks of the one
                // width that program loops use).
                debug_assert_eq!(width, CHUNK_VECTORS);
                V::run_chunk(token, std::slice::from_ref(self), inputs, slots, count);
                for &value in &slots[out..][..count] {
                    also.take(value);
                }
            }
            Kind::Call1(f) => each!(|k| f.unary(arg!(a, k))),
            Kind::ExpNormal => each!(|k| math::exp_lanes_normal(arg!(a, k))),
            Kind::SinNear => each!(|k| math::sin_lanes_near(arg!(a, k))),
            Kind::CosNear => each!(|k| math::cos_lanes_near(arg!(a, k))),
            Kind::Call2(f) => each!(|k| f.binary(arg!(a, k), arg!(b, k))),
        }
        also
    }
}

/// Operand `arg` of value `k`.
#[inline(always)]
fn read<V: Lanes>(token: Token<V>, arg: Arg, inputs: &[V], slots: &[V], width: usize, k: usize) -> V {
    match arg {
        Arg::Input(j) => inputs[usize::from(j) * width + k],
        Arg::Slot(s) => slots[usize::from(s) * width + k],
        Arg::Constant(c) => token.splat(c),
    }
}
