using System;
using Kiln.Loader.Core.Json;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    [TestFixture]
    public class JsonReaderTests
    {
        [Test]
        public void ReadsEveryKindOfValue()
        {
            var value = (JsonObject)JsonReader.Parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": \"\\u00e9\\n\\\"\\/\"}\r\n");
            var a = (JsonArray)value.Get("a");
            Assert.AreEqual(5, a.Count);
            Assert.AreEqual(1d, ((JsonNumber)a[0]).Value);
            Assert.AreEqual(-2500d, ((JsonNumber)a[1]).Value);
            Assert.AreSame(JsonBoolean.True, a[2]);
            Assert.AreSame(JsonBoolean.False, a[3]);
            Assert.AreSame(JsonNull.Instance, a[4]);
            Assert.AreEqual("d", ((JsonString)((JsonObject)value.Get("b")).Get("c")).Value);
            Assert.AreEqual("\u00e9\n\"/", ((JsonString)value.Get("e")).Value);
        }

        [TestCase("{\"a\":1,}", 1, 8, "expected a member name")]
        [TestCase("[1,2,]", 1, 6, "expected a value")]
        [TestCase("{'a':1}", 1, 2, "expected a member name in double quotes")]
        [TestCase("{\"a\":01}", 1, 7, "leading zeros")]
        [TestCase("[1.]", 1, 4, "after the decimal point")]
        [TestCase("[NaN]", 1, 2, "expected a value")]
        [TestCase("[+1]", 1, 2, "expected a value")]
        [TestCase("{\"a\":1} x", 1, 9, "after the JSON value")]
        [TestCase("{\n  \"a\": tru\n}", 2, 11, "in 'true'")]
        [TestCase("\"a\\x\"", 1, 4, "invalid escape sequence")]
        [TestCase("\"\\u12G4\"", 1, 6, "invalid hexadecimal digit")]
        [TestCase("\"tab\there\"", 1, 5, "unescaped control character U+0009")]
        [TestCase("\"open", 1, 1, "unterminated string")]
        [TestCase("", 1, 1, "unexpected end of input")]
        [TestCase("\ufeff{}", 1, 1, "character U+FEFF")]
        [TestCase("// c\n{}", 1, 1, "expected a value")]
        [TestCase("{\"a\" 1}", 1, 6, "expected ':'")]
        public void RejectsBadInputWithItsPosition(string text, int line, int column, string reason)
        {
            var error = Assert.Throws<JsonException>(() => JsonReader.Parse(text));
            StringAssert.Contains(reason, error.Reason);
            Assert.AreEqual(line, error.Line, "line of " + error.Message);
            Assert.AreEqual(column, error.Column, "column of " + error.Message);
            StringAssert.Contains("line " + line + ", column " + column, error.Message);
        }

        [Test]
        public void ReportsTheOffsetOfTheError()
        {
            var error = Assert.Throws<JsonException>(() => JsonReader.Parse("[1, 2, @]"));
            Assert.AreEqual(7, error.Offset);
        }

        [Test]
        public void RefusesNestingBeyondTheLimit()
        {
            var deep = new string('[', JsonReader.MaxDepth + 1) + new string(']', JsonReader.MaxDepth + 1);
            var error = Assert.Throws<JsonException>(() => JsonReader.Parse(deep));
            StringAssert.Contains("nesting deeper than", error.Reason);
            var ok = new string('[', JsonReader.MaxDepth) + new string(']', JsonReader.MaxDepth);
            Assert.AreEqual(JsonKind.Array, JsonReader.Parse(ok).Kind);
        }

        [Test]
        public void ReadsNumbersAsJavaScriptDoes()
        {
            Assert.AreEqual(double.PositiveInfinity, ((JsonNumber)JsonReader.Parse("1e400")).Value);
            Assert.AreEqual(double.NegativeInfinity, ((JsonNumber)JsonReader.Parse("-1e400")).Value);
            Assert.AreEqual(10d, ((JsonNumber)JsonReader.Parse("10.0")).Value);
            Assert.IsTrue(((JsonNumber)JsonReader.Parse("9007199254740991")).IsSafeInteger);
            Assert.IsFalse(((JsonNumber)JsonReader.Parse("9007199254740992")).IsSafeInteger);
            Assert.IsFalse(((JsonNumber)JsonReader.Parse("1.5")).IsSafeInteger);
        }

        [Test]
        public void KeepsTheLastValueOfARepeatedMemberAtItsFirstPosition()
        {
            var value = (JsonObject)JsonReader.Parse("{\"a\":1,\"b\":2,\"a\":3}");
            Assert.AreEqual(2, value.Count);
            Assert.AreEqual(3d, ((JsonNumber)value.Get("a")).Value);
            Assert.AreEqual("{\"a\":3,\"b\":2}", JsonWriter.Write(value));
        }

        [Test]
        public void KeepsSurrogatePairsAndLoneSurrogates()
        {
            Assert.AreEqual("\ud83e\ude91", ((JsonString)JsonReader.Parse("\"\\ud83e\\ude91\"")).Value);
            Assert.AreEqual("a\ud800b", ((JsonString)JsonReader.Parse("\"a\\ud800b\"")).Value);
        }

        [Test]
        public void ComparesDeeplyIgnoringMemberOrder()
        {
            var a = JsonReader.Parse("{\"x\":[1,{\"y\":null}],\"z\":\"s\"}");
            var b = JsonReader.Parse("{\"z\":\"s\",\"x\":[1.0,{\"y\":null}]}");
            var c = JsonReader.Parse("{\"z\":\"s\",\"x\":[{\"y\":null},1]}");
            Assert.IsTrue(JsonValue.DeepEquals(a, b));
            Assert.IsFalse(JsonValue.DeepEquals(a, c));
            Assert.IsFalse(JsonValue.DeepEquals(JsonReader.Parse("{\"a\":1}"), JsonReader.Parse("{\"a\":1,\"b\":1}")));
        }

        [Test]
        public void DeepCloneIsIndependent()
        {
            var original = (JsonObject)JsonReader.Parse("{\"a\":{\"b\":1}}");
            var copy = original.DeepClone();
            ((JsonObject)copy.Get("a")).Set("b", new JsonNumber(2));
            Assert.AreEqual("{\"a\":{\"b\":1}}", JsonWriter.Write(original));
            Assert.AreEqual("{\"a\":{\"b\":2}}", JsonWriter.Write(copy));
        }
    }

    [TestFixture]
    public class JsonWriterTests
    {
        [TestCase(0d, "0")]
        [TestCase(-0d, "0")]
        [TestCase(1d, "1")]
        [TestCase(-42d, "-42")]
        [TestCase(0.1, "0.1")]
        [TestCase(9.999, "9.999")]
        [TestCase(0.30000000000000004, "0.30000000000000004")]
        [TestCase(1e21, "1e+21")]
        [TestCase(123456789012345680000d, "123456789012345680000")]
        [TestCase(1.5e-7, "1.5e-7")]
        [TestCase(0.000001, "0.000001")]
        [TestCase(5e-324, "5e-324")]
        [TestCase(1.7976931348623157e308, "1.7976931348623157e+308")]
        [TestCase(double.PositiveInfinity, "null")]
        [TestCase(double.NaN, "null")]
        public void FormatsNumbersLikeJavaScript(double value, string expected)
        {
            Assert.AreEqual(expected, JsonWriter.FormatNumber(value));
        }

        [Test]
        public void EscapesStringsLikeJsonStringify()
        {
            Assert.AreEqual("\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\u00e9\ud83e\ude91\\ud800\"", JsonWriter.Quote("a\"b\\c\n\t\u0001\u001f/\u00e9\ud83e\ude91\ud800"));
        }

        [Test]
        public void RoundTripsThroughTheReader()
        {
            const string text = "{\"a\":[1,2.5,-0.001,1e+21,true,false,null],\"b\":{\"c\":\"\\u0000x\"},\"d\":\"\ud83e\ude91\"}";
            Assert.AreEqual(text, JsonWriter.Write(JsonReader.Parse(text)));
        }
    }
}
