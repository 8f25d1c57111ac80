{
  "targets": [
    {
      "target_name": "original_dst",
      "sources": ["original_dst.c", "splice_relay.c", "pipe_pool.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
