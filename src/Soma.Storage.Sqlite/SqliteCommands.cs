using System.Data.Common;
using Microsoft.Data.Sqlite;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>Command helpers shared by the SQLite adapters: keyset paging and error translation.</summary>
internal static class SqliteCommands
{
    public static void AddPaging(SqliteCommand command, PageRequest page, PageCursor? cursor)
    {
        // One extra row tells whether there is a next page.
        command.Parameters.AddWithValue("$limit", Math.Clamp(page.Limit, 1, PageRequest.MaxLimit) + 1);
        if (cursor is { } c)
        {
            command.Parameters.AddWithValue("$time", Ticks(c.Time));
            command.Parameters.AddWithValue("$after", Id(c.Id));
        }
    }

    public static async Task<Page<T>> ReadPageAsync<T>(
        SqliteCommand command, int limit, Func<DbDataReader, T> read, Func<T, PageCursor> cursorOf, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, PageRequest.MaxLimit);
        var items = new List<T>(Math.Min(limit + 1, 64));
        try
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(read(reader));
            }
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "read a page");
        }

        if (items.Count <= limit)
        {
            return new Page<T>(items, null);
        }

        items.RemoveAt(items.Count - 1);
        return new Page<T>(items, cursorOf(items[^1]).Encode());
    }

    public static async Task<int> ExecuteAsync(SqliteCommand command, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, operation);
        }
    }
}
