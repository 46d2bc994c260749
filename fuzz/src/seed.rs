//! One seed input of a fuzz target: the target, a name that says where it came from, the
//! bytes. Made by `seeds` (from the fixtures) and by the targets' own seed makers.

#[derive(Debug, Clone)]
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub data: Vec<u8>,
}
