{
  "targets": [
    {
      "target_name": "optimal_transport",
      "sources": [
        "<!@(node -p \"['common','cpu','napi'].flatMap(d => require('fs').readdirSync('native/' + d).filter(f => f.endsWith('.cc')).map(f => 'native/' + d + '/' + f)).concat(['native/cpu/isa/single.cc']).join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-march=native"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"] }
    }
  ]
}
