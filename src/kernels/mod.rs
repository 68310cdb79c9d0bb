//! The built-in kernels. Each file holds the maths of one kernel and nothing about execution.

mod integral;
mod leibniz;
mod monte_carlo;
mod simpson;

pub use integral::{IntegralEstimate, IntegralPartial, MonteCarloIntegral};
pub(crate) use integral::{blind, hex, real_from_bits, unhex, zero_spread};
pub use leibniz::{Leibniz, LeibnizEstimate};
pub(crate) use monte_carlo::BLOCK_SAMPLES;
pub use monte_carlo::{Hits, MonteCarloPi, PiEstimate};
pub use simpson::{Function, Gauss, Poly, Simpson, SimpsonEstimate, SimpsonIntegrand, SimpsonPartial};

/// The largest element count of a floating-point kernel: indices up to 2^53 convert to `f64` exactly.
pub const MAX_FLOAT_ELEMENTS: u64 = 1 << 53;

/// A built-in kernel, rebuilt from its problem line
/// ([`Resumable::problem`](crate::checkpoint::Resumable::problem)): how a saved partial result
/// of a built-in kernel is read back without knowing its kind in advance.
///
/// ```
/// use hetero::checkpoint::Resumable;
/// use hetero::kernels::{Builtin, Function, Simpson};
///
/// let kernel = Simpson::new(Function::gauss(0.3, 0.7)?, -1.0, 2.5, 1000)?;
/// let line = kernel.problem().unwrap();
/// let Builtin::Simpson(again) = Builtin::from_problem(&line)? else { panic!("not Simpson") };
/// assert_eq!(again.problem().unwrap(), line);
/// # Ok::<(), hetero::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Builtin {
    /// [`MonteCarloPi`].
    Pi(MonteCarloPi),
    /// [`Simpson`] of a built-in [`Function`].
    Simpson(Simpson),
    /// [`Leibniz`].
    Leibniz(Leibniz),
    /// [`Simpson`] of an expression.
    SimpsonExpr(Simpson<crate::expr::Expr>),
    /// [`MonteCarloIntegral`].
    Integral(MonteCarloIntegral),
}

impl Builtin {
    /// The kernel whose [`problem`](crate::checkpoint::Resumable::problem) is `line`; an error names what does not parse.
    pub fn from_problem(line: &str) -> crate::Result<Self> {
        let refused = |why: String| crate::Error::PartialResult(format!("unknown problem '{line}': {why}"));
        let mut words = line.split(' ');
        let kernel = words.next().unwrap_or_default();
        let mut fields = std::collections::BTreeMap::new();
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| refused(format!("'{word}' is not key=value")))?;
            if fields.insert(key, value).is_some() {
                return Err(refused(format!("'{key}' is given twice")));
            }
        }
        let expression = fields.get("f") == Some(&"expr");
        let mut take = |key: &str| fields.remove(key).ok_or_else(|| refused(format!("'{key}' is missing")));
        let int = |text: &str| {
            text.parse::<u64>()
                .map_err(|_| refused(format!("'{text}' is not a count")))
        };
        let real = |text: &str| real_from_bits(text).ok_or_else(|| refused(format!("'{text}' is not a number's bits")));
        let text = |hex: &str| unhex(hex).ok_or_else(|| refused(format!("'{hex}' is not the hexadecimal of a text")));
        let kernel = match kernel {
            "simpson" if expression => {
                take("f")?;
                let source = text(take("expr")?)?;
                let (from, to) = (real(take("from")?)?, real(take("to")?)?);
                Builtin::SimpsonExpr(Simpson::expr(&source, from, to, int(take("intervals")?)?)?)
            }
            "montecarlo" => {
                let source = text(take("expr")?)?;
                let bounds = take("box")?
                    .split(',')
                    .map(|range| {
                        let (a, b) = range
                            .split_once(':')
                            .ok_or_else(|| refused(format!("'{range}' is not A:B")))?;
                        Ok((real(a)?, real(b)?))
                    })
                    .collect::<crate::Result<Vec<_>>>()?;
                let f = crate::expr::Expr::parse(&source, bounds.len())?;
                let (samples, seed) = (int(take("samples")?)?, int(take("seed")?)?);
                Builtin::Integral(MonteCarloIntegral::new(f, &bounds, samples, seed)?)
            }
            "pi" => Builtin::Pi(MonteCarloPi::new(int(take("samples")?)?, int(take("seed")?)?)?),
            "leibniz" => Builtin::Leibniz(Leibniz::new(int(take("terms")?)?)?),
            "simpson" => {
                let function = match take("f")? {
                    "gauss" => Function::gauss(real(take("x0")?)?, real(take("sigma")?)?)?,
                    "poly" => {
                        let power = take("power")?;
                        let power = u32::try_from(int(power)?).map_err(|_| refused(format!("power {power}")))?;
                        Function::poly(power)?
                    }
                    name @ ("exp" | "sin" | "cos" | "pi") => Function::from_name(name, None, None, None)?,
                    other => return Err(refused(format!("no built-in function '{other}'"))),
                };
                let (from, to) = (real(take("from")?)?, real(take("to")?)?);
                Builtin::Simpson(Simpson::new(function, from, to, int(take("intervals")?)?)?)
            }
            other => return Err(refused(format!("no built-in kernel '{other}'"))),
        };
        match fields.keys().next() {
            Some(stray) => Err(refused(format!("'{stray}' is not one of its parameters"))),
            None => Ok(kernel),
        }
    }
}
