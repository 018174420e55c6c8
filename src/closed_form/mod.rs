//! Closed forms of the papers as plain Rust functions (D -> infinity), each documented with its
//! formula and its status (printed / derived). They are the fast path of the optimisers and phase
//! diagrams; the theorem files and simulations remain the judges of whether they are right.

pub mod lauditi;
pub mod tahir;
