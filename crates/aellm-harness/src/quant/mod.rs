//! Weight quantization (FP16, FP8, INT8, INT4 with RTN, GPTQ, AWQ, SmoothQuant): in progress, nothing here yet.
