/* original_dst: reads the pre-NAT destination of a TCP socket (iptables REDIRECT) with
 * getsockopt(SO_ORIGINAL_DST) / getsockopt(IP6T_SO_ORIGINAL_DST). Linux only.
 *
 * originalDst(fd) -> { address, port, family } | { errno } (errno: why nothing was found).
 *
 * mallocTrim() -> boolean: glibc malloc_trim(0), giving freed C-heap memory (TLS state, socket
 * buffers) in every arena back to the kernel; true when memory was released. Without glibc
 * (musl) it does nothing and returns false.
 *
 * spliceRelay(...) / spliceClose(handle): the opaque TCP relay with splice(2), see splice_relay.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif

static napi_value make_result(napi_env env, const struct sockaddr_storage *ss, int err) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  if (err != 0) {
    napi_create_int32(env, err, &v);
    napi_set_named_property(env, obj, "errno", v);
    return obj;
  }
  char text[INET6_ADDRSTRLEN] = {0};
  int port, family;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
    port = ntohs(in4->sin_port);
    family = 4;
  } else {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
    family = 6;
  }
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "address", v);
  napi_create_int32(env, port, &v);
  napi_set_named_property(env, obj, "port", v);
  napi_create_int32(env, family, &v);
  napi_set_named_property(env, obj, "family", v);
  return obj;
}

static int query(int fd, int level, int opt, struct sockaddr_storage *out) {
  socklen_t len = sizeof *out;
  memset(out, 0, sizeof *out);
  return getsockopt(fd, level, opt, out, &len) == 0 ? 0 : errno;
}

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "originalDst(fd): fd must be a non-negative integer");
    return NULL;
  }
  struct sockaddr_storage local, dst;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) return make_result(env, NULL, errno);
  int err;
  if (local.ss_family == AF_INET) {
    err = query(fd, SOL_IP, SO_ORIGINAL_DST, &dst);
  } else if (local.ss_family == AF_INET6) {
    /* A dual-stack socket carrying IPv4 (::ffff:a.b.c.d) was redirected by the IPv4 table. */
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&local;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      err = query(fd, SOL_IP, SO_ORIGINAL_DST, &dst);
      if (err != 0) err = query(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst);
    } else {
      err = query(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst);
    }
  } else {
    err = EAFNOSUPPORT;
  }
  return make_result(env, &dst, err);
}

static napi_value malloc_trim_all(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value v;
  napi_get_boolean(env, released != 0, &v);
  return v;
}

napi_status splice_relay_init(napi_env env, napi_value exports); /* splice_relay.c */

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, malloc_trim_all, NULL, &fn);
  napi_set_named_property(env, exports, "mallocTrim", fn);
  splice_relay_init(env, exports);
  return exports;
}
