using System.Text.Json.Serialization;

namespace Soma.Storage.Sqlite;

/// <summary>Source-generated JSON for the id and topic lists handed to <c>json_each</c>.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(long[]))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
