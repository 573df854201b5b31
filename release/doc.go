// Package release checks that lab builds for every platform its release
// archives carry; dist.sh (make dist) builds those archives.
package release
