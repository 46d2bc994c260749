pub mod h2;
