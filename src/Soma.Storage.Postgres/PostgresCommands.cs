using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Soma.Core.Storage;

namespace Soma.Storage.Postgres;

/// <summary>Command helpers shared by the PostgreSQL adapters: parameters, keyset paging and error translation.</summary>
internal static class PostgresCommands
{
    public static void Add(this NpgsqlCommand command, string name, object? value) =>
        command.Parameters.AddWithValue(name, value switch
        {
            null => DBNull.Value,

            // timestamptz takes UTC offsets only.
            DateTimeOffset time => time.ToUniversalTime(),
            _ => value,
        });

    public static void AddJson(this NpgsqlCommand command, string name, string? json) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Json) { Value = (object?)json ?? DBNull.Value });

    public static void AddText(this NpgsqlCommand command, string name, string? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    public static void AddPaging(NpgsqlCommand command, PageRequest page, PageCursor? cursor)
    {
        // One extra row tells whether there is a next page.
        command.Add("limit", Math.Clamp(page.Limit, 1, PageRequest.MaxLimit) + 1);
        if (cursor is { } c)
        {
            command.Add("cursor_time", c.Time);
            command.Add("cursor_id", c.Id);
        }
    }

    public static async Task<Page<T>> ReadPageAsync<T>(
        NpgsqlCommand command, int limit, Func<DbDataReader, T> read, Func<T, PageCursor> cursorOf, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, PageRequest.MaxLimit);
        var items = await ReadAllAsync(command, read, "read a page", cancellationToken).ConfigureAwait(false);
        if (items.Count <= limit)
        {
            return new Page<T>(items, null);
        }

        items.RemoveAt(items.Count - 1);
        return new Page<T>(items, cursorOf(items[^1]).Encode());
    }

    public static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<DbDataReader, T> read, string operation, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        try
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(read(reader));
            }
        }
        catch (NpgsqlException ex)
        {
            PostgresStoreTransaction.Failed(command.Connection);
            throw PostgresStore.Translate(ex, operation);
        }

        return items;
    }

    public static async Task<int> ExecuteAsync(NpgsqlCommand command, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            PostgresStoreTransaction.Failed(command.Connection);
            throw PostgresStore.Translate(ex, operation);
        }
    }

    public static async Task<int> ExecuteAsync(NpgsqlBatch batch, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            PostgresStoreTransaction.Failed(batch.Connection);
            throw PostgresStore.Translate(ex, operation);
        }
    }

    public static DateTimeOffset Time(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static DateTimeOffset? NullableTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
