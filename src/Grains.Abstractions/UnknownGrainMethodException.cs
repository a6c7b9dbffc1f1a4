namespace Grains;

/// <summary>
/// The silo that received a call does not know its method: it runs an older or different version of the grain
/// interface, as happens during a rolling upgrade. A caller that can do without the method (an older method gives
/// part of the answer) may fall back to it; no part of the call ran. Silos of earlier releases reported this case as a
/// plain <see cref="NotSupportedException"/>, which is why this type derives from it.
/// </summary>
public sealed class UnknownGrainMethodException(string message) : NotSupportedException(message);
