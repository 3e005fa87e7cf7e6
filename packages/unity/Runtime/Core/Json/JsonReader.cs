using System;
using System.Globalization;
using System.Text;

namespace Kiln.Loader.Core.Json
{
    /// <summary>
    /// Bad JSON text. <see cref="Offset"/> (0-based, in UTF-16 code units), <see cref="Line"/> and
    /// <see cref="Column"/> (1-based) point at the offending character; the message says what was
    /// expected there.
    /// </summary>
    public sealed class JsonException : FormatException
    {
        /// <summary>Creates the error.</summary>
        public JsonException(string reason, int offset, int line, int column)
            : base(string.Format(CultureInfo.InvariantCulture, "{0} at line {1}, column {2} (offset {3})", reason, line, column, offset))
        {
            Reason = reason;
            Offset = offset;
            Line = line;
            Column = column;
        }

        /// <summary>What is wrong, without the position.</summary>
        public string Reason { get; private set; }
        /// <summary>0-based offset of the offending character in the text.</summary>
        public int Offset { get; private set; }
        /// <summary>1-based line of the offending character.</summary>
        public int Line { get; private set; }
        /// <summary>1-based column of the offending character.</summary>
        public int Column { get; private set; }
    }

    /// <summary>
    /// A small, strict RFC 8259 JSON reader with the semantics of JavaScript's <c>JSON.parse</c>:
    /// no comments, trailing commas, single quotes, leading zeros, <c>NaN</c>, or control characters
    /// in strings; whitespace is space, tab, LF and CR only (a byte order mark is an error, strip it
    /// when decoding bytes); numbers are doubles (<c>1e400</c> is infinite); a repeated member name
    /// takes the last value. Nesting deeper than <see cref="MaxDepth"/> is refused rather than
    /// overflowing the stack. Errors are <see cref="JsonException"/>s with the position.
    /// </summary>
    public static class JsonReader
    {
        /// <summary>Deepest nesting of arrays and objects accepted.</summary>
        public const int MaxDepth = 512;

        /// <summary>Parses one JSON value that spans the whole text.</summary>
        /// <exception cref="JsonException">The text is not valid JSON.</exception>
        public static JsonValue Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var parser = new Parser(text);
            parser.SkipWhitespace();
            var value = parser.ReadValue(0);
            parser.SkipWhitespace();
            if (!parser.AtEnd) throw parser.Error("unexpected " + parser.Describe(parser.Position) + " after the JSON value");
            return value;
        }

        sealed class Parser
        {
            readonly string _text;
            int _pos;

            public Parser(string text) { _text = text; }

            public bool AtEnd { get { return _pos >= _text.Length; } }
            public int Position { get { return _pos; } }

            public void SkipWhitespace()
            {
                while (_pos < _text.Length)
                {
                    var c = _text[_pos];
                    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') _pos++;
                    else break;
                }
            }

            public JsonValue ReadValue(int depth)
            {
                if (AtEnd) throw Error("unexpected end of input, expected a value");
                var c = _text[_pos];
                switch (c)
                {
                    case '{': return ReadObject(depth + 1);
                    case '[': return ReadArray(depth + 1);
                    case '"': return new JsonString(ReadString());
                    case 't': ReadLiteral("true"); return JsonBoolean.True;
                    case 'f': ReadLiteral("false"); return JsonBoolean.False;
                    case 'n': ReadLiteral("null"); return JsonNull.Instance;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Error("unexpected " + Describe(_pos) + ", expected a value");
                }
            }

            JsonObject ReadObject(int depth)
            {
                if (depth > MaxDepth) throw Error("nesting deeper than " + MaxDepth + " levels");
                _pos++; // {
                var obj = new JsonObject();
                SkipWhitespace();
                if (!AtEnd && _text[_pos] == '}')
                {
                    _pos++;
                    return obj;
                }
                while (true)
                {
                    SkipWhitespace();
                    if (AtEnd) throw Error("unexpected end of input, expected a member name in double quotes");
                    if (_text[_pos] != '"') throw Error("unexpected " + Describe(_pos) + ", expected a member name in double quotes");
                    var name = ReadString();
                    SkipWhitespace();
                    Expect(':', "':' after the member name");
                    SkipWhitespace();
                    obj.Set(name, ReadValue(depth));
                    SkipWhitespace();
                    if (AtEnd) throw Error("unexpected end of input, expected ',' or '}'");
                    var c = _text[_pos];
                    if (c == ',')
                    {
                        _pos++;
                        continue;
                    }
                    if (c == '}')
                    {
                        _pos++;
                        return obj;
                    }
                    throw Error("unexpected " + Describe(_pos) + ", expected ',' or '}'");
                }
            }

            JsonArray ReadArray(int depth)
            {
                if (depth > MaxDepth) throw Error("nesting deeper than " + MaxDepth + " levels");
                _pos++; // [
                var array = new JsonArray();
                SkipWhitespace();
                if (!AtEnd && _text[_pos] == ']')
                {
                    _pos++;
                    return array;
                }
                while (true)
                {
                    SkipWhitespace();
                    array.Add(ReadValue(depth));
                    SkipWhitespace();
                    if (AtEnd) throw Error("unexpected end of input, expected ',' or ']'");
                    var c = _text[_pos];
                    if (c == ',')
                    {
                        _pos++;
                        continue;
                    }
                    if (c == ']')
                    {
                        _pos++;
                        return array;
                    }
                    throw Error("unexpected " + Describe(_pos) + ", expected ',' or ']'");
                }
            }

            string ReadString()
            {
                var start = _pos;
                _pos++; // opening quote
                StringBuilder builder = null;
                var runStart = _pos;
                while (true)
                {
                    if (AtEnd)
                    {
                        _pos = start;
                        throw Error("unterminated string");
                    }
                    var c = _text[_pos];
                    if (c == '"')
                    {
                        string result;
                        if (builder == null) result = _text.Substring(runStart, _pos - runStart);
                        else result = builder.Append(_text, runStart, _pos - runStart).ToString();
                        _pos++;
                        return result;
                    }
                    if (c < 0x20) throw Error("unescaped control character U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) + " in a string");
                    if (c != '\\')
                    {
                        _pos++;
                        continue;
                    }
                    if (builder == null) builder = new StringBuilder();
                    builder.Append(_text, runStart, _pos - runStart);
                    _pos++; // backslash
                    if (AtEnd) throw Error("unexpected end of input in an escape sequence");
                    var e = _text[_pos];
                    switch (e)
                    {
                        case '"': builder.Append('"'); break;
                        case '\\': builder.Append('\\'); break;
                        case '/': builder.Append('/'); break;
                        case 'b': builder.Append('\b'); break;
                        case 'f': builder.Append('\f'); break;
                        case 'n': builder.Append('\n'); break;
                        case 'r': builder.Append('\r'); break;
                        case 't': builder.Append('\t'); break;
                        case 'u':
                        {
                            var code = 0;
                            for (var i = 1; i <= 4; i++)
                            {
                                if (_pos + i >= _text.Length) 
                                {
                                    _pos += i;
                                    throw Error("unexpected end of input in a \\u escape");
                                }
                                var digit = HexValue(_text[_pos + i]);
                                if (digit < 0)
                                {
                                    _pos += i;
                                    throw Error("invalid hexadecimal digit " + Describe(_pos) + " in a \\u escape");
                                }
                                code = (code << 4) | digit;
                            }
                            builder.Append((char)code); // lone surrogates are kept, as JSON.parse keeps them
                            _pos += 4;
                            break;
                        }
                        default:
                            throw Error("invalid escape sequence \\" + e);
                    }
                    _pos++;
                    runStart = _pos;
                }
            }

            JsonNumber ReadNumber()
            {
                var start = _pos;
                if (_text[_pos] == '-') _pos++;
                if (AtEnd || !IsDigit(_text[_pos])) throw Error("expected a digit after '-'");
                if (_text[_pos] == '0')
                {
                    _pos++;
                    if (!AtEnd && IsDigit(_text[_pos])) throw Error("leading zeros are not allowed in numbers");
                }
                else
                {
                    while (!AtEnd && IsDigit(_text[_pos])) _pos++;
                }
                if (!AtEnd && _text[_pos] == '.')
                {
                    _pos++;
                    if (AtEnd || !IsDigit(_text[_pos])) throw Error("expected a digit after the decimal point");
                    while (!AtEnd && IsDigit(_text[_pos])) _pos++;
                }
                if (!AtEnd && (_text[_pos] == 'e' || _text[_pos] == 'E'))
                {
                    _pos++;
                    if (!AtEnd && (_text[_pos] == '+' || _text[_pos] == '-')) _pos++;
                    if (AtEnd || !IsDigit(_text[_pos])) throw Error("expected a digit in the exponent");
                    while (!AtEnd && IsDigit(_text[_pos])) _pos++;
                }
                var token = _text.Substring(start, _pos - start);
                double value;
                try
                {
                    value = double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
                }
                catch (OverflowException)
                {
                    // .NET Framework and Mono throw where JavaScript gives ±Infinity.
                    value = token[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
                }
                return new JsonNumber(value);
            }

            void ReadLiteral(string literal)
            {
                for (var i = 0; i < literal.Length; i++)
                {
                    if (_pos + i >= _text.Length || _text[_pos + i] != literal[i])
                    {
                        _pos += i;
                        throw Error(AtEnd ? "unexpected end of input in '" + literal + "'" : "unexpected " + Describe(_pos) + " in '" + literal + "'");
                    }
                }
                _pos += literal.Length;
            }

            void Expect(char c, string what)
            {
                if (AtEnd) throw Error("unexpected end of input, expected " + what);
                if (_text[_pos] != c) throw Error("unexpected " + Describe(_pos) + ", expected " + what);
                _pos++;
            }

            static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

            static int HexValue(char c)
            {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            }

            public string Describe(int position)
            {
                if (position >= _text.Length) return "end of input";
                var c = _text[position];
                if (c < 0x20 || c == 0x7f || c == 0xfeff || (c >= 0xd800 && c <= 0xdfff))
                    return "character U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);
                return "character '" + c + "'";
            }

            public JsonException Error(string reason)
            {
                var position = Math.Min(_pos, _text.Length);
                var line = 1;
                var lineStart = 0;
                for (var i = 0; i < position; i++)
                {
                    if (_text[i] == '\n')
                    {
                        line++;
                        lineStart = i + 1;
                    }
                }
                return new JsonException(reason, position, line, position - lineStart + 1);
            }
        }
    }
}
