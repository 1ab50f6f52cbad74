using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Lucid.Dsl.Generators.Helpers;

/// <summary>A JSON syntax error with its 1-based line and column.</summary>
internal sealed class JsonSyntaxException(string message, int line, int column) : Exception(message)
{
    public int Line { get; } = line;
    public int Column { get; } = column;
}

/// <summary>
/// A small strict JSON reader (objects → Dictionary, arrays → List, numbers → double) for model schemas: the
/// generator targets netstandard2.0 and must not load System.Text.Json into the compiler. Errors carry line and column.
/// </summary>
internal sealed class MiniJson
{
    private readonly string _text;
    private int _pos;

    private MiniJson(string text) => _text = text;

    public static object? Parse(string text)
    {
        var reader = new MiniJson(text);
        reader.SkipWhitespace();
        var value = reader.ReadValue();
        reader.SkipWhitespace();
        if (reader._pos < text.Length) throw reader.Error("unexpected text after the JSON value");
        return value;
    }

    private object? ReadValue()
    {
        if (_pos >= _text.Length) throw Error("unexpected end of file");
        char c = _text[_pos];
        switch (c)
        {
            case '{': return ReadObject();
            case '[': return ReadArray();
            case '"': return ReadString();
            case 't': Expect("true"); return true;
            case 'f': Expect("false"); return false;
            case 'n': Expect("null"); return null;
            default:
                if (c == '-' || c >= '0' && c <= '9') return ReadNumber();
                throw Error($"unexpected character '{c}'");
        }
    }

    private Dictionary<string, object?> ReadObject()
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        _pos++;
        SkipWhitespace();
        if (Peek() == '}') { _pos++; return result; }
        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"') throw Error("expected a property name in double quotes");
            var key = ReadString();
            SkipWhitespace();
            if (Peek() != ':') throw Error("expected ':' after a property name");
            _pos++;
            SkipWhitespace();
            result[key] = ReadValue();
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == '}') return result;
            if (c != ',') { _pos--; throw Error("expected ',' or '}' in an object"); }
        }
    }

    private List<object?> ReadArray()
    {
        var result = new List<object?>();
        _pos++;
        SkipWhitespace();
        if (Peek() == ']') { _pos++; return result; }
        while (true)
        {
            SkipWhitespace();
            result.Add(ReadValue());
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == ']') return result;
            if (c != ',') { _pos--; throw Error("expected ',' or ']' in an array"); }
        }
    }

    private string ReadString()
    {
        var result = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _text.Length) throw Error("unterminated string");
            char c = _text[_pos++];
            if (c == '"') return result.ToString();
            if (c < ' ') { _pos--; throw Error("control character in a string"); }
            if (c != '\\') { result.Append(c); continue; }
            if (_pos >= _text.Length) throw Error("unterminated escape");
            char e = _text[_pos++];
            switch (e)
            {
                case '"': result.Append('"'); break;
                case '\\': result.Append('\\'); break;
                case '/': result.Append('/'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case 'u':
                    if (_pos + 4 > _text.Length || !int.TryParse(_text.Substring(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                        throw Error("invalid \\u escape");
                    result.Append((char)code);
                    _pos += 4;
                    break;
                default: _pos--; throw Error($"invalid escape '\\{e}'");
            }
        }
    }

    private double ReadNumber()
    {
        int start = _pos;
        if (Peek() == '-') _pos++;
        while (_pos < _text.Length && "0123456789.eE+-".IndexOf(_text[_pos]) >= 0) _pos++;
        var token = _text.Substring(start, _pos - start);
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            _pos = start;
            throw Error($"invalid number '{token}'");
        }
        return value;
    }

    private void Expect(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) throw Error($"unexpected token (expected '{word}')");
        _pos += word.Length;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && (_text[_pos] == ' ' || _text[_pos] == '\t' || _text[_pos] == '\n' || _text[_pos] == '\r')) _pos++;
    }

    private JsonSyntaxException Error(string message)
    {
        int line = 1, column = 1;
        for (int i = 0; i < _pos && i < _text.Length; i++)
        {
            if (_text[i] == '\n') { line++; column = 1; }
            else column++;
        }
        return new JsonSyntaxException(message, line, column);
    }
}
