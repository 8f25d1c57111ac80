// @weft/runtime: the I/O-side building blocks that weft's binaries share and that core, which
// holds only pure logic, must not. Each lives in one file named for what it is.
export {
  type AdminRoute,
  AdminServer,
  type AdminServerOptions,
  isLoopbackAddress,
  sendAdmin,
  sendAdminJson,
} from './admin-server.js';
