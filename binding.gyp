# The CPU-only rnnkit addon for machines without cmake: `npm run build:gyp` ->
# build/Release/rnnkit.node. The main build is CMakeLists.txt; both take their sources from
# native/sources.json. Set DNNL_ROOT to use a oneDNN other than the system's.
{
  'targets': [
    {
      'target_name': 'rnnkit',
      # The addon's lists; the CUDA and Gloo loaders compile here too and report that this build
      # has no CUDA backend and no Gloo module (node-gyp builds neither).
      'sources': ["<!@(node -p \"const s = require('./native/sources.json'); [...s.core, ...s.cudaLoader, ...s.glooLoader, ...s.cpu, ...s.napi].join(' ')\")"],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        'native',
        "<!@(node -p \"process.env.DNNL_ROOT ? process.env.DNNL_ROOT + '/include' : ''\")",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_CPP_EXCEPTIONS'],
      # node-gyp's defaults turn off C++ exceptions and RTTI; oneDNN and our error path need them.
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
      # -fno-math-errno as in CMakeLists.txt: lets the optimizer loops' sqrtf vectorize.
      'cflags_cc': ['-std=c++17', '-O3', '-fno-math-errno', '-fexceptions', '-fopenmp'],
      'ldflags': [
        '-fopenmp',
        "<!@(node -p \"process.env.DNNL_ROOT ? '-L' + process.env.DNNL_ROOT + '/lib -Wl,-rpath,' + process.env.DNNL_ROOT + '/lib' : ''\")",
      ],
      'libraries': ['-ldnnl', '-ldl'],
    },
  ],
}
