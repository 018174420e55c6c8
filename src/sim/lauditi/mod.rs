//! Lauditi, Bordelon, Pehlevan (arXiv 2507.04448 v2): two-stage training of a two-layer muP
//! network. Stage 1 ([`pretrain`]) learns the source task and leaves a feature kernel M;
//! stage 2 with gamma2 -> 0 ([`finetune`]) refits the readout by kernel regression with M;
//! [`transfer`] holds the fine-tuning variants (ridge, early stopping, NTK) for any kernel, with the
//! lazy baseline on the same target samples.

pub mod finetune;
pub mod joint;
pub mod pretrain;
pub mod transfer;
