namespace Grains.CodeGeneration;

/// <summary>The result type of grain methods that return Task or ValueTask.</summary>
public readonly struct NoResult;
