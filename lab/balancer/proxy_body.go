package balancer

import (
	"bufio"
	"errors"
	"io"
	"strconv"
)

// Copying message bodies on the lean path (proxy.go): by length, chunked
// (passed on or decoded) and until the target closes, flushing what was
// copied whenever the source is quiet.

// A sideError says which side of a copy failed.
type sideError struct {
	src bool // reading; else writing
	err error
}

func (e sideError) Error() string { return e.err.Error() }
func (e sideError) Unwrap() error { return e.err }

// fill waits for src to have data, flushing dst first: what was copied so
// far goes on while the source is quiet. beforeRead, if any, runs before
// src is read.
func fill(dst *bufio.Writer, src *bufio.Reader, beforeRead func()) error {
	if src.Buffered() > 0 {
		return nil
	}
	if err := dst.Flush(); err != nil {
		return sideError{err: err}
	}
	if beforeRead != nil {
		beforeRead()
	}
	if _, err := src.Peek(1); err != nil {
		return sideError{src: true, err: err}
	}
	return nil
}

// copyN copies n bytes from src to dst; beforeRead, if any, runs before
// each read of src.
func copyN(dst *bufio.Writer, src *bufio.Reader, n int64, beforeRead func()) error {
	for n > 0 {
		if err := fill(dst, src, beforeRead); err != nil {
			if se := err.(sideError); se.src && se.err == io.EOF {
				se.err = io.ErrUnexpectedEOF
				return se
			}
			return err
		}
		buf, _ := src.Peek(int(min(int64(src.Buffered()), n)))
		if _, err := dst.Write(buf); err != nil {
			return sideError{err: err}
		}
		src.Discard(len(buf))
		n -= int64(len(buf))
	}
	return nil
}

// copyChunked copies a chunked body from src to dst: chunked again (with
// its trailer) when frame, else the data only.
func copyChunked(dst *bufio.Writer, src *bufio.Reader, frame bool) error {
	for {
		line, err := readLine(dst, src)
		if err != nil {
			return err
		}
		size := parseChunkSize(line)
		if size < 0 {
			return errBadResponse
		}
		if size == 0 {
			break
		}
		if frame {
			writeChunkSize(dst, size)
		}
		if err := copyN(dst, src, size, nil); err != nil {
			return err
		}
		if line, err = readLine(dst, src); err != nil {
			return err
		}
		if len(line) != 0 {
			return errBadResponse
		}
		if frame {
			dst.WriteString("\r\n")
		}
	}
	if frame {
		dst.WriteString("0\r\n")
	}
	for { // the trailer section
		line, err := readLine(dst, src)
		if err != nil {
			return err
		}
		if frame {
			dst.Write(line)
			dst.WriteString("\r\n")
		}
		if len(line) == 0 {
			return nil
		}
	}
}

// copyUntilEOF copies src to dst until src ends, chunked when frame.
func copyUntilEOF(dst *bufio.Writer, src *bufio.Reader, frame bool) error {
	for {
		if err := fill(dst, src, nil); err != nil {
			if se := err.(sideError); se.src && se.err == io.EOF {
				break
			}
			return err
		}
		buf, _ := src.Peek(src.Buffered())
		if frame {
			writeChunkSize(dst, int64(len(buf)))
		}
		if _, err := dst.Write(buf); err != nil {
			return err
		}
		if frame {
			dst.WriteString("\r\n")
		}
		src.Discard(len(buf))
	}
	if frame {
		dst.WriteString("0\r\n\r\n")
	}
	return nil
}

func writeChunkSize(dst *bufio.Writer, n int64) {
	var b [20]byte
	dst.Write(strconv.AppendInt(b[:0], n, 16))
	dst.WriteString("\r\n")
}

// readLine reads a line of a chunked body, without its line ending.
func readLine(dst *bufio.Writer, src *bufio.Reader) ([]byte, error) {
	if buf, _ := src.Peek(src.Buffered()); !containsLF(buf) {
		if err := dst.Flush(); err != nil {
			return nil, err
		}
	}
	line, err := src.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errBadResponse
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func containsLF(b []byte) bool {
	for _, c := range b {
		if c == '\n' {
			return true
		}
	}
	return false
}
