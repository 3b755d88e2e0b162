package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteRangeTest {

    @ParameterizedTest(name = "{0} of {1}")
    @CsvSource(delimiter = '|', value = {
            // header            | size | expected
            "bytes=0-0           | 10   | PARTIAL 0 0",
            "bytes=2-5           | 10   | PARTIAL 2 5",
            "bytes=2-            | 10   | PARTIAL 2 9",
            "bytes=2-100         | 10   | PARTIAL 2 9",
            "bytes=-3            | 10   | PARTIAL 7 9",
            "bytes=-30           | 10   | PARTIAL 0 9",
            "Bytes = 1-2         | 10   | PARTIAL 1 2",
            "bytes=10-           | 10   | UNSATISFIABLE",
            "bytes=11-20         | 10   | UNSATISFIABLE",
            "bytes=-0            | 10   | UNSATISFIABLE",
            "bytes=0-            | 0    | UNSATISFIABLE",
            "bytes=-5            | 0    | WHOLE",
            "bytes=0-1,3-4       | 10   | WHOLE",
            "bytes=5-2           | 10   | WHOLE",
            "bytes=a-b           | 10   | WHOLE",
            "bytes=              | 10   | WHOLE",
            "bytes=1             | 10   | WHOLE",
            "items=0-1           | 10   | WHOLE",
            "bytes=99999999999999999999- | 10 | WHOLE",
            "bytes=-1-2          | 10   | WHOLE",
    })
    void parses(String header, long size, String expected) {
        ByteRange r = ByteRange.parse(header, size);
        String actual = r.kind() == ByteRange.Kind.PARTIAL ? "PARTIAL " + r.first() + " " + r.last() : r.kind().name();
        assertEquals(expected, actual);
    }
}
