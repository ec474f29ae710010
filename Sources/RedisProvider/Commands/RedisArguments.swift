/// The options of the generated command methods, one namespace per command: for instance
/// `RedisArguments.Getex.Expiration` for `getex`'s `EX`/`PX`/`EXAT`/`PXAT`/`PERSIST`, written
/// `.ex(10)` at the call site.
public enum RedisArguments {}
