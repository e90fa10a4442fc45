namespace Anomaly.ED.Formats;

/// <summary>
/// Cuts one pickle (through its STOP opcode) out of a stream before it is unpickled. Razorvine.Pickle allocates the
/// length an opcode declares before reading it, so a hostile 4-byte length would cost 2 GiB; here every declared
/// length is copied in bounded chunks from what the stream really holds, the pickle is then unpickled from memory
/// (where a length past the end is an error, not an allocation), and the stream is left just after the pickle (the
/// legacy torch.save format holds several pickles in a row, then raw data).
/// </summary>
internal static class PickleFrame
{
    /// <summary>The longest text argument (a line: a module or class name, a decimal number) accepted.</summary>
    public const int MaxLineLength = 64 * 1024;

    private const int Chunk = 64 * 1024;

    private enum Argument
    {
        None,
        Fixed1,
        Fixed2,
        Fixed4,
        Fixed8,
        Line,
        TwoLines,
        Length1,
        Length4,
        Length8,
    }

    /// <summary>Reads one pickle, from its first opcode through STOP.</summary>
    /// <param name="source">The stream, positioned at the pickle.</param>
    /// <param name="filePath">The file, for messages.</param>
    /// <returns>The pickle's bytes.</returns>
    /// <exception cref="CheckpointFormatException">The stream ends inside the pickle, an opcode is unknown, or a length or line is out of range.</exception>
    public static byte[] ReadOne(Stream source, string filePath)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var pickle = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        while (true)
        {
            var opcode = source.ReadByte();
            if (opcode < 0)
            {
                throw Truncated(filePath, pickle.Length);
            }

            pickle.WriteByte((byte)opcode);
            switch (ArgumentOf((byte)opcode))
            {
                case Argument.None when opcode == '.':
                    return pickle.ToArray();
                case Argument.None:
                    break;
                case Argument.Fixed1:
                    Copy(source, pickle, 1, filePath);
                    break;
                case Argument.Fixed2:
                    Copy(source, pickle, 2, filePath);
                    break;
                case Argument.Fixed4:
                    Copy(source, pickle, 4, filePath);
                    break;
                case Argument.Fixed8:
                    Copy(source, pickle, 8, filePath);
                    break;
                case Argument.Line:
                    CopyLine(source, pickle, filePath);
                    break;
                case Argument.TwoLines:
                    CopyLine(source, pickle, filePath);
                    CopyLine(source, pickle, filePath);
                    break;
                case Argument.Length1:
                    ReadInto(source, pickle, length[..1], filePath);
                    Copy(source, pickle, length[0], filePath);
                    break;
                case Argument.Length4:
                    ReadInto(source, pickle, length[..4], filePath);
                    Copy(source, pickle, Declared(BitConverter.ToUInt32(length[..4]), opcode, pickle.Length, filePath), filePath);
                    break;
                case Argument.Length8:
                    ReadInto(source, pickle, length, filePath);
                    Copy(source, pickle, Declared(BitConverter.ToUInt64(length), opcode, pickle.Length, filePath), filePath);
                    break;
                default:
                    throw new CheckpointFormatException(filePath, $"its pickle holds the unknown opcode 0x{opcode:x2} at byte {pickle.Length - 1}.");
            }
        }
    }

    // The argument of each opcode of pickle protocols 0 to 5 (Python's pickletools); null for an unknown opcode.
    private static Argument? ArgumentOf(byte opcode) => opcode switch
    {
        (byte)'(' or (byte)'.' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'Q' or (byte)'R' or (byte)'a' or (byte)'b'
            or (byte)'d' or (byte)'}' or (byte)'e' or (byte)'l' or (byte)']' or (byte)'o' or (byte)'s' or (byte)'t' or (byte)')' or (byte)'u'
            or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x8f or 0x90 or 0x91 or 0x92 or 0x93 or 0x94 or 0x97 or 0x98 => Argument.None,
        (byte)'K' or (byte)'h' or (byte)'q' or 0x80 or 0x82 => Argument.Fixed1,
        (byte)'M' or 0x83 => Argument.Fixed2,
        (byte)'J' or (byte)'j' or (byte)'r' or 0x84 => Argument.Fixed4,
        (byte)'G' or 0x95 => Argument.Fixed8,
        (byte)'F' or (byte)'I' or (byte)'L' or (byte)'P' or (byte)'S' or (byte)'V' or (byte)'g' or (byte)'p' => Argument.Line,
        (byte)'c' or (byte)'i' => Argument.TwoLines,
        (byte)'U' or (byte)'C' or 0x8c or 0x8a => Argument.Length1,
        (byte)'T' or (byte)'X' or (byte)'B' or 0x8b => Argument.Length4,
        0x8d or 0x8e or 0x96 => Argument.Length8,
        _ => null,
    };

    private static int Declared(ulong length, int opcode, long at, string filePath) =>
        length <= int.MaxValue
            ? (int)length
            : throw new CheckpointFormatException(filePath, $"its pickle declares {length} bytes for opcode 0x{opcode:x2} at byte {at}; at most {int.MaxValue} are accepted.");

    private static void Copy(Stream source, MemoryStream pickle, int count, string filePath)
    {
        Span<byte> buffer = stackalloc byte[Math.Min(count, Chunk)];
        while (count > 0)
        {
            var part = buffer[..Math.Min(count, buffer.Length)];
            ReadInto(source, pickle, part, filePath);
            count -= part.Length;
        }
    }

    private static void ReadInto(Stream source, MemoryStream pickle, Span<byte> destination, string filePath)
    {
        var read = source.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (read < destination.Length)
        {
            throw Truncated(filePath, pickle.Length + read);
        }

        pickle.Write(destination);
    }

    private static void CopyLine(Stream source, MemoryStream pickle, string filePath)
    {
        for (var length = 0; length <= MaxLineLength; length++)
        {
            var next = source.ReadByte();
            if (next < 0)
            {
                throw Truncated(filePath, pickle.Length);
            }

            pickle.WriteByte((byte)next);
            if (next == '\n')
            {
                return;
            }
        }

        throw new CheckpointFormatException(filePath, $"its pickle holds a text argument longer than {MaxLineLength} bytes before byte {pickle.Length}.");
    }

    private static CheckpointFormatException Truncated(string filePath, long at)
        => new(filePath, $"the file ends inside a pickle, after {at} bytes of it (it was truncated).");
}
