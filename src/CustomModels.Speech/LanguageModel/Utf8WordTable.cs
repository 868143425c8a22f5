using System.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Word ids in order of first appearance, looked up by the word's UTF-8 bytes. Corpus counting
/// looks up every word of the text; hashing the bytes where they lie costs a fraction of making
/// a string of each word for a dictionary. Open addressing with linear probing in a table kept
/// at most half full.
/// </summary>
internal sealed class Utf8WordTable
{
    private byte[] _text = new byte[1 << 16]; // the words' bytes, one after another
    private int[] _starts = new int[1024];    // word id's bytes are _text[_starts[id] .. _starts[id + 1]]
    private uint[] _hashes = new uint[1024];
    private int[] _slots = new int[1 << 12];  // id + 1, or 0 for an empty slot

    public int Count { get; private set; }

    public int IdOf(ReadOnlySpan<byte> word)
    {
        var hash = Hash(word);
        var mask = _slots.Length - 1;
        for (var slot = (int)hash & mask; ; slot = (slot + 1) & mask)
        {
            var id = _slots[slot] - 1;
            if (id < 0)
            {
                id = Add(word, hash);
                _slots[slot] = id + 1;
                if (Count * 2 > _slots.Length) Rehash();
                return id;
            }
            if (_hashes[id] == hash && Word(id).SequenceEqual(word)) return id;
        }
    }

    /// <summary>The words as strings, index = id.</summary>
    public string[] Words()
    {
        var words = new string[Count];
        for (var id = 0; id < Count; id++) words[id] = Encoding.UTF8.GetString(Word(id));
        return words;
    }

    private ReadOnlySpan<byte> Word(int id) => _text.AsSpan(_starts[id], _starts[id + 1] - _starts[id]);

    private int Add(ReadOnlySpan<byte> word, uint hash)
    {
        var id = Count++;
        if (id + 2 > _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _hashes, _hashes.Length * 2);
        }
        var start = _starts[id];
        if (start + word.Length > _text.Length) Array.Resize(ref _text, Math.Max(_text.Length * 2, start + word.Length));
        word.CopyTo(_text.AsSpan(start));
        _starts[id + 1] = start + word.Length;
        _hashes[id] = hash;
        return id;
    }

    private void Rehash()
    {
        _slots = new int[_slots.Length * 2];
        var mask = _slots.Length - 1;
        for (var id = 0; id < Count; id++)
        {
            var slot = (int)_hashes[id] & mask;
            while (_slots[slot] != 0) slot = (slot + 1) & mask;
            _slots[slot] = id + 1;
        }
    }

    /// <summary>FNV-1a, its high half folded into the low bits that pick the slot.</summary>
    private static uint Hash(ReadOnlySpan<byte> word)
    {
        var hash = 2166136261;
        foreach (var b in word) hash = (hash ^ b) * 16777619;
        return hash ^ (hash >> 16);
    }
}
