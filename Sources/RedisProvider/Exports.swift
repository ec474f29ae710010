// The types the public API is made of come with `import RedisProvider`: commands and replies
// (RESPCommand, RESPValue, RESPError from RESP) and the byte buffers values arrive in.
@_exported import RESP
@_exported import struct NIOCore.ByteBuffer
