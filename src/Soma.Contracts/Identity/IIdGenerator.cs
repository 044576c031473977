namespace Soma.Contracts.Identity;

/// <summary>The one source of identifiers in the platform: UUIDv7, ordered by creation time.</summary>
public interface IIdGenerator
{
    /// <summary>Returns a new UUIDv7 whose timestamp comes from the generator's clock.</summary>
    Guid NewId();
}
