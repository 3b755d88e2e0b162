package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AcceptEncodingTest {

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "``                              | 0",
            "identity                        | 0",
            "gzip                            | 2",
            "x-gzip                          | 2",
            "br                              | 1",
            "gzip, deflate, br, zstd         | 3",
            "GZIP;q=0.5, BR;q=0.1            | 3",
            "br;q=0, gzip                    | 2",
            "br;q=0.000, gzip;q=0.0          | 0",
            "*                               | 3",
            "*;q=0                           | 0",
            "*, br;q=0                       | 2",
            "gzip;q=0, *                     | 1",
            "br;q=0.001                      | 1",
    })
    void accepted(String header, int expected) {
        assertEquals(expected, AcceptEncoding.accepted(header.isEmpty() ? null : header));
    }
}
