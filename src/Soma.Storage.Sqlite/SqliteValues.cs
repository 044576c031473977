using System.Data.Common;

namespace Soma.Storage.Sqlite;

/// <summary>How values are stored: times as UTC ticks, ids as lowercase UUID text.</summary>
internal static class SqliteValues
{
    public static long Ticks(DateTimeOffset time) => time.UtcTicks;

    public static DateTimeOffset Time(DbDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static DateTimeOffset? NullableTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Time(reader, ordinal);

    public static string Id(Guid id) => id.ToString("D");

    public static Guid Id(DbDataReader reader, int ordinal) => Guid.Parse(reader.GetString(ordinal));

    public static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static object OrNull(string? value) => value is null ? DBNull.Value : value;
}
