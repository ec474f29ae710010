// The types the public API is made of come with `import RedisProvider`: commands and replies
// (RESPCommand, RESPValue, RESPError from RESP). Values arrive as NIOCore's `ByteBuffer`,
// whose members work without an import; naming the type itself takes `import NIOCore`.
@_exported import RESP
