//! Reading captures (`src/capture`): damaged and rotated files, captures cut and reordered
//! as they really arrive, `--follow`, and live capture (feature `live`).

mod cut_reordered;
mod damaged;
mod follow;
mod live;
mod rotation;
