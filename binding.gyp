{
  "targets": [
    {
      "target_name": "utmpx",
      "sources": [
        "src-native/addon.cc",
        "src-native/errors.cc",
        "src-native/file_lock.cc",
        "src-native/utmpx_reader.cc",
        "src-native/lastlog_reader.cc",
        "src-native/logind.cc",
        "src-native/processes.cc",
        "src-native/small_file.cc",
        "src-native/sqlite.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # SWALLOW_UNTHROWABLE: a promise settled while its worker thread is being
      # terminated must not abort the process (test/concurrency.test.ts).
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-exceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      # Each OS's lastlog reader is a file of its own (src-native/lastlog_reader.h);
      # Android is Linux, with its lastlog file.
      "conditions": [
        ["OS=='linux'", { "defines": ["_GNU_SOURCE"], "libraries": ["-ldl"] }],
        ["OS in ('linux', 'android')", { "sources": ["src-native/lastlog_linux.cc"] }],
        ["OS=='mac'", { "sources": ["src-native/lastlog_macos.cc"] }],
        ["OS=='freebsd'", { "sources": ["src-native/lastlog_freebsd.cc"] }],
        ["OS not in ('linux', 'android', 'mac', 'freebsd')", { "sources": ["src-native/lastlog_other.cc"] }]
      ]
    }
  ]
}
