package release

// crossPlatforms are the platforms of the release archives besides
// linux/amd64, which every other test builds.
var crossPlatforms = []struct{ goos, goarch string }{
	{"darwin", "arm64"},
	{"darwin", "amd64"},
	{"windows", "amd64"},
	{"linux", "arm64"},
}
