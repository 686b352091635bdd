// Prints gyp settings for OpenBLAS: `defines` or `libs`. With OpenBLAS's header and library
// present, matrix products call cblas_sgemm; otherwise the portable C++ kernels are compiled.
const fs = require('node:fs');
const what = process.argv[2];
const headers = ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h', '/usr/include/openblas/cblas.h', '/usr/include/cblas.h'];
const libs = ['/usr/lib/x86_64-linux-gnu/libopenblas.so', '/usr/lib/aarch64-linux-gnu/libopenblas.so', '/usr/lib/libopenblas.so', '/usr/lib64/libopenblas.so'];
const disabled = process.env.AHA_NO_BLAS === '1';
const header = headers.find((h) => fs.existsSync(h));
const lib = libs.find((l) => fs.existsSync(l));
const have = !disabled && header && lib;
if (what === 'defines') console.log(have ? 'AHA_HAVE_BLAS=1' : 'AHA_HAVE_BLAS=0');
else if (what === 'libs') console.log(have ? '-lopenblas' : '');
else if (what === 'include') console.log(have ? require('node:path').dirname(header) : '');
else {
  console.error('usage: detect-blas.cjs defines|libs|include');
  process.exit(1);
}
