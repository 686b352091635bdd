{
  "targets": [
    {
      "target_name": "aha_native",
      "sources": [
        "src/core/native/addon.cc",
        "src/core/native/gemm.cc",
        "src/core/native/norm.cc",
        "src/core/native/attention.cc",
        "src/core/native/pointwise.cc",
        "src/core/native/loss.cc",
        "src/core/native/optim.cc",
        "src/core/native/bf16.cc",
        "src/core/native/sampling.cc",
        "src/core/native/memory.cc",
        "src/core/native/decode.cc",
        "src/core/native/amx.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/detect-blas.cjs include)"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "<!@(node scripts/detect-blas.cjs defines)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-march=native", "-fopenmp", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"],
      "libraries": ["-fopenmp", "<!@(node scripts/detect-blas.cjs libs)"]
    }
  ]
}
