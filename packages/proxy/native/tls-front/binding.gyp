{
  "targets": [
    {
      "target_name": "tls_front",
      "sources": ["tls_front.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
