// ChildProcess, freeLoopbackPort() and RedisServerError live in the sandbox module, which the
// CLI shares; test code sees them here as before.
@_exported import RedisProviderSandbox
