//! The wgpu device and the few primitives every GPU kernel needs: cached
//! compute pipelines, buffer upload, and an awaitable read-back that works
//! both natively (blocking poll) and in the browser (promise-driven).

use crate::image_io::MAX_SIDE;
use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// One compute dispatch: its buffers, bound in order at group 0, and its
/// workgroup count.
#[derive(Clone, Copy)]
pub struct Dispatch<'a> {
    pub buffers: &'a [&'a wgpu::Buffer],
    pub workgroups: (u32, u32, u32),
}

/// An adapter that was found but not opened yet: enough to decide whether
/// it is worth using before paying for a device.
pub struct FoundAdapter {
    /// Kept for surfaces: a canvas the page presents on.
    instance: wgpu::Instance,
    adapter: wgpu::Adapter,
    info: wgpu::AdapterInfo,
    /// What the browser says about its adapter beyond what wgpu passes on
    /// (vendor and architecture: "google", "swiftshader").
    browser: BrowserAdapterInfo,
}

/// `GPUAdapterInfo` fields wgpu's WebGPU backend does not map (empty natively).
#[derive(Debug, Clone, Default)]
struct BrowserAdapterInfo {
    vendor: String,
    architecture: String,
}

impl FoundAdapter {
    /// Asks for the best adapter (a hardware GPU before a software one).
    pub async fn request() -> Result<FoundAdapter> {
        #[cfg(target_arch = "wasm32")]
        if !wgpu::util::is_browser_webgpu_supported().await {
            return Err(Error::Gpu("WebGPU is not available in this browser".into()));
        }
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("no GPU adapter: {e}")))?;
        let info = adapter.get_info();
        #[cfg(target_arch = "wasm32")]
        let browser = browser_adapter_info().await;
        #[cfg(not(target_arch = "wasm32"))]
        let browser = BrowserAdapterInfo::default();
        Ok(FoundAdapter {
            instance,
            adapter,
            info,
            browser,
        })
    }

    /// The graphics API the adapter is reached through: "WebGPU", "Vulkan", …
    pub fn api(&self) -> String {
        match self.info.backend {
            wgpu::Backend::BrowserWebGpu => "WebGPU".to_string(),
            other => format!("{other:?}"),
        }
    }

    /// The renderer's name when the adapter is a software one: its device
    /// type says so (natively `DeviceType::Cpu`; in the browser wgpu maps
    /// `GPUAdapterInfo.isFallbackAdapter` to it), or its name, vendor or
    /// architecture names a known software renderer.
    pub fn software_renderer(&self) -> Option<String> {
        let named = [
            &self.info.name,
            &self.browser.architecture,
            &self.browser.vendor,
            &self.info.driver,
        ]
        .into_iter()
        .find_map(|text| super::choice::software_renderer(text));
        if named.is_none() && self.info.device_type != wgpu::DeviceType::Cpu {
            return None;
        }
        Some(if !self.info.name.is_empty() {
            self.info.name.clone()
        } else if let Some(name) = named {
            name.to_string()
        } else {
            "a fallback adapter".to_string()
        })
    }

    /// Adapter name, backend API and driver, for reports.
    pub fn description(&self) -> String {
        let i = &self.info;
        // Browsers may withhold the adapter's name (Chrome leaves it empty);
        // its vendor and architecture say something still.
        let browser = format!("{} {}", self.browser.vendor, self.browser.architecture);
        let name = if !i.name.is_empty() {
            i.name.as_str()
        } else if !browser.trim().is_empty() {
            browser.trim()
        } else {
            "unnamed adapter"
        };
        let kind = match i.device_type {
            wgpu::DeviceType::Cpu => "software",
            wgpu::DeviceType::DiscreteGpu => "discrete GPU",
            wgpu::DeviceType::IntegratedGpu => "integrated GPU",
            wgpu::DeviceType::VirtualGpu => "virtual GPU",
            wgpu::DeviceType::Other => "GPU",
        };
        let mut text = format!("{name} ({}, {kind})", self.api());
        if !i.driver.is_empty() {
            text.push_str(&format!(", driver {} {}", i.driver, i.driver_info));
        }
        text
    }
}

/// Reads `GPUAdapterInfo.vendor` and `.architecture` of the browser's
/// adapter, which wgpu does not pass on, to name the adapter in reports
/// (SwiftShader says "google" / "swiftshader"). Empty when unavailable.
#[cfg(target_arch = "wasm32")]
async fn browser_adapter_info() -> BrowserAdapterInfo {
    use wasm_bindgen::{JsCast, JsValue};
    async fn read() -> std::result::Result<BrowserAdapterInfo, JsValue> {
        let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &key.into());
        let navigator = get(&JsValue::from(js_sys::global()), "navigator")?;
        let gpu = get(&navigator, "gpu")?;
        let request: js_sys::Function = get(&gpu, "requestAdapter")?.dyn_into()?;
        let options = js_sys::Object::new();
        js_sys::Reflect::set(
            &options,
            &"powerPreference".into(),
            &"high-performance".into(),
        )?;
        let promise: js_sys::Promise = request.call1(&gpu, &options)?.dyn_into()?;
        let adapter = wasm_bindgen_futures::JsFuture::from(promise).await?;
        if adapter.is_null() || adapter.is_undefined() {
            return Ok(BrowserAdapterInfo::default());
        }
        let info = get(&adapter, "info")?;
        if info.is_undefined() {
            return Ok(BrowserAdapterInfo::default());
        }
        Ok(BrowserAdapterInfo {
            vendor: get(&info, "vendor")?.as_string().unwrap_or_default(),
            architecture: get(&info, "architecture")?.as_string().unwrap_or_default(),
        })
    }
    read().await.unwrap_or_default()
}

/// The largest buffer a held layer or canvas may take: 134 MP (a 100 MP
/// camera's frame, an 11585² document), so a 48 MP photo stays on the GPU
/// where WebGPU's default binding (128 MiB, 32 MP) would send it to the
/// banded path; 16384² is served by that path.
const MAX_HELD_BUFFER_BYTES: u64 = 512 << 20;

/// The limits to request of an adapter offering `adapter`: WebGPU's
/// defaults (an adapter below them gets what it has), so native runs obey
/// the limits every browser grants, but with the largest buffer, binding
/// and texture side raised to what the adapter offers, up to
/// [`MAX_HELD_BUFFER_BYTES`] and (texture side, WebGPU's default 8192) the
/// largest document's side, [`MAX_SIDE`].
fn held_limits(adapter: &wgpu::Limits) -> wgpu::Limits {
    /// `requested` raised to `offered`, `most` at most; never lowered.
    fn raise<T: Ord>(requested: &mut T, offered: T, most: T) {
        let raised = offered.min(most);
        if raised > *requested {
            *requested = raised;
        }
    }
    let defaults = wgpu::Limits::default();
    let mut limits = if defaults.check_limits(adapter) {
        defaults
    } else {
        adapter.clone()
    };
    // Each stays within the adapter's: `limits` is within it already.
    let held = MAX_HELD_BUFFER_BYTES;
    raise(&mut limits.max_buffer_size, adapter.max_buffer_size, held);
    let binding = adapter.max_storage_buffer_binding_size;
    raise(&mut limits.max_storage_buffer_binding_size, binding, held);
    let side = adapter.max_texture_dimension_2d;
    raise(&mut limits.max_texture_dimension_2d, side, MAX_SIDE);
    limits
}

/// A wgpu device with its queue and a cache of compiled compute pipelines.
pub struct GpuContext {
    instance: wgpu::Instance,
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
    /// [`FoundAdapter::description`] of the adapter the device is on.
    description: String,
    pipelines: Mutex<HashMap<&'static str, wgpu::ComputePipeline>>,
    /// Copies read back to the CPU so far (see [`GpuContext::read_backs`]).
    read_backs: AtomicU64,
    /// Bytes uploaded into storage buffers so far (see
    /// [`GpuContext::uploaded_bytes`]).
    uploaded_bytes: AtomicU64,
    /// Whether the device was lost, shared with wgpu's callback.
    loss: Arc<Mutex<Loss>>,
    /// The same, lock-free, for [`GpuContext::is_lost`] (asked by every
    /// operation through `Engine::gpu`).
    lost_flag: Arc<AtomicBool>,
}

/// A device's loss: why, once it happened, and who waits to hear of it.
#[derive(Default)]
struct Loss {
    reason: Option<String>,
    waiting: Vec<futures_channel::oneshot::Sender<String>>,
}

impl Loss {
    fn lock(loss: &Mutex<Loss>) -> std::sync::MutexGuard<'_, Loss> {
        loss.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl GpuContext {
    /// Finds an adapter (software ones included) and opens a device on it.
    pub async fn new() -> Result<GpuContext> {
        GpuContext::open(FoundAdapter::request().await?).await
    }

    /// Opens a device on `found` with WebGPU's default limits, so that
    /// native runs obey the same limits as browsers do, except the three a
    /// document held whole on the GPU needs (see [`held_limits`]).
    pub async fn open(found: FoundAdapter) -> Result<GpuContext> {
        let description = found.description();
        let (instance, adapter) = (found.instance, found.adapter);
        let limits = held_limits(&adapter.limits());
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("retouch"),
                required_features: wgpu::Features::empty(),
                required_limits: limits,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("cannot open the GPU device: {e}")))?;
        let loss = Arc::new(Mutex::new(Loss::default()));
        let heard = Arc::clone(&loss);
        let lost_flag = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&lost_flag);
        device.set_device_lost_callback(move |reason, message| {
            flag.store(true, Ordering::Release);
            let why = match reason {
                wgpu::DeviceLostReason::Destroyed => "the GPU device was released".to_string(),
                _ if message.is_empty() => "the GPU device was lost".to_string(),
                _ => format!("the GPU device was lost: {message}"),
            };
            let mut loss = Loss::lock(&heard);
            for waiting in loss.waiting.drain(..) {
                let _ = waiting.send(why.clone());
            }
            loss.reason = Some(why);
        });
        Ok(GpuContext {
            instance,
            adapter: adapter.clone(),
            device,
            queue,
            description,
            pipelines: Mutex::new(HashMap::new()),
            read_backs: AtomicU64::new(0),
            uploaded_bytes: AtomicU64::new(0),
            loss,
            lost_flag,
        })
    }

    /// Why the device was lost (a driver reset, the browser's GPU process
    /// restarting, [`GpuContext::release`]), `None` while it works. A lost
    /// device runs nothing more: what was on it is gone, and an engine on a
    /// new one must take over.
    pub fn lost(&self) -> Option<String> {
        Loss::lock(&self.loss).reason.clone()
    }

    /// Whether the device was lost (see [`GpuContext::lost`]), without a lock.
    pub fn is_lost(&self) -> bool {
        self.lost_flag.load(Ordering::Acquire)
    }

    /// Resolves with why the device was lost, once it is; `None` when this
    /// context went away first. Holds nothing of the context, so waiting
    /// keeps no device alive.
    pub fn when_lost(&self) -> impl std::future::Future<Output = Option<String>> + 'static {
        let (sender, receiver) = futures_channel::oneshot::channel();
        {
            let mut loss = Loss::lock(&self.loss);
            match &loss.reason {
                Some(why) => {
                    let _ = sender.send(why.clone());
                }
                None => loss.waiting.push(sender),
            }
        }
        async move { receiver.await.ok() }
    }

    /// Gives the device back now, freeing its memory at once (an engine
    /// being replaced), which counts as its loss: nothing runs on it after.
    pub fn release(&self) {
        self.device.destroy();
        // Natively the loss is reported as the device is next polled.
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.device.poll(wgpu::PollType::Poll);
    }

    /// Adapter name, backend API and driver, for reports.
    pub fn description(&self) -> String {
        self.description.clone()
    }

    /// The instance the device came from, for surfaces (a canvas to present on).
    pub fn instance(&self) -> &wgpu::Instance {
        &self.instance
    }

    /// The adapter the device is on, for a surface's capabilities.
    pub fn adapter(&self) -> &wgpu::Adapter {
        &self.adapter
    }

    /// Natively, waits for the submitted work so its callbacks run (they
    /// run inside `poll`); in the browser the promises resolve them.
    fn wait_natively(&self) -> Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
        Ok(())
    }

    /// Resolves when everything submitted so far has finished on the GPU.
    pub async fn work_done(&self) -> Result<()> {
        let (sender, receiver) = futures_channel::oneshot::channel();
        self.queue.on_submitted_work_done(move || {
            let _ = sender.send(());
        });
        self.wait_natively()?;
        receiver
            .await
            .map_err(|_| Error::Gpu("the GPU stopped before finishing its work".into()))
    }

    /// The device, for kernels that build their own bind groups.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The largest storage buffer a kernel working in bands may bind, in
    /// bytes: WebGPU's default binding (128 MiB) at most, so a band's
    /// buffers and read-back stay that small on every device.
    pub fn max_binding_bytes(&self) -> u64 {
        let default = wgpu::Limits::default().max_storage_buffer_binding_size;
        self.max_held_bytes().min(default)
    }

    /// The largest buffer a kernel may bind whole, in bytes: what a layer
    /// or a canvas held on the GPU for a document's life may take.
    pub fn max_held_bytes(&self) -> u64 {
        let l = self.device.limits();
        l.max_storage_buffer_binding_size.min(l.max_buffer_size)
    }

    /// The compute pipeline for `entry` in `wgsl`, compiled once per `key`.
    pub fn pipeline(&self, key: &'static str, wgsl: &str, entry: &str) -> wgpu::ComputePipeline {
        let mut cache = self.pipelines.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let module = self
                    .device
                    .create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(key),
                        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
                    });
                self.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(key),
                        layout: None,
                        module: &module,
                        entry_point: Some(entry),
                        compilation_options: Default::default(),
                        cache: None,
                    })
            })
            .clone()
    }

    /// A storage buffer holding `contents` (padded to 4 bytes), readable by
    /// shaders and copyable for read-back.
    pub fn storage_buffer(&self, label: &str, contents: &[u8]) -> wgpu::Buffer {
        let padded_len = contents.len().max(4).next_multiple_of(4);
        let padded;
        let bytes = if padded_len == contents.len() {
            contents
        } else {
            padded = [contents, &vec![0; padded_len - contents.len()]].concat();
            &padded
        };
        self.uploaded_bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytes,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            })
    }

    /// An uninitialised storage buffer of `size` bytes (rounded up to 4)
    /// for a kernel to write (an intermediate result that stays on the
    /// GPU) or to be filled by [`GpuContext::write_buffer`], so one buffer
    /// can serve many runs.
    pub fn scratch_buffer(&self, label: &str, size: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.max(4).next_multiple_of(4),
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Writes `bytes` at the start of a [`scratch_buffer`](GpuContext::scratch_buffer)
    /// (see [`GpuContext::write_buffer_at`]); the next submission sees them.
    pub fn write_buffer(&self, buffer: &wgpu::Buffer, bytes: &[u8]) {
        self.write_buffer_at(buffer, 0, bytes);
    }

    /// Writes `bytes` at byte `offset` (a multiple of 4) of a buffer the GPU
    /// keeps; the next submission sees them. Writes are whole 4-byte words,
    /// so a last partial word is padded with zeros: callers end a write
    /// mid-word only at the end of their data, as [`storage_buffer`](GpuContext::storage_buffer) pads.
    pub fn write_buffer_at(&self, buffer: &wgpu::Buffer, offset: u64, bytes: &[u8]) {
        let words = bytes.len().next_multiple_of(4) as u64;
        self.uploaded_bytes.fetch_add(words, Ordering::Relaxed);
        let whole = bytes.len() / 4 * 4;
        if whole > 0 {
            self.queue.write_buffer(buffer, offset, &bytes[..whole]);
        }
        if whole < bytes.len() {
            let mut word = [0; 4];
            word[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
            self.queue
                .write_buffer(buffer, offset + whole as u64, &word);
        }
    }

    /// A uniform buffer holding `contents`.
    pub fn uniform_buffer(&self, label: &str, contents: &[u8]) -> wgpu::Buffer {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage: wgpu::BufferUsages::UNIFORM,
            })
    }

    /// Runs one compute dispatch of `pipeline` with `buffers` bound in order
    /// at group 0, then copies the first `read_len` bytes of `buffers[read_index]`
    /// back to the CPU. Validation errors become [`Error::Gpu`].
    pub async fn dispatch_and_read(
        &self,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        workgroups: (u32, u32, u32),
        read_index: usize,
        read_len: u64,
    ) -> Result<Vec<u8>> {
        self.dispatch_steps_and_read(
            pipeline,
            &[Dispatch {
                buffers,
                workgroups,
            }],
            buffers[read_index],
            read_len,
        )
        .await
    }

    /// Runs dispatches of `pipeline` in order in one submission, each with
    /// its own buffers (bound in order at group 0) and workgroup count, then
    /// copies the first `read_len` bytes of `read` back to the CPU. Each
    /// dispatch sees what the ones before it wrote. Validation errors become
    /// [`Error::Gpu`].
    pub async fn dispatch_steps_and_read(
        &self,
        pipeline: &wgpu::ComputePipeline,
        steps: &[Dispatch<'_>],
        read: &wgpu::Buffer,
        read_len: u64,
    ) -> Result<Vec<u8>> {
        let steps: Vec<_> = steps.iter().map(|&step| (pipeline, step)).collect();
        self.run_and_read(&steps, read, read_len).await
    }

    /// Runs dispatches, each of its own pipeline, in order in one
    /// submission, then copies the first `read_len` bytes of `read` back:
    /// a chain of different kernels (a network's layers) whose intermediate
    /// buffers stay on the GPU. Each dispatch sees what the ones before it
    /// wrote. Validation errors become [`Error::Gpu`].
    pub async fn run_and_read(
        &self,
        steps: &[(&wgpu::ComputePipeline, Dispatch<'_>)],
        read: &wgpu::Buffer,
        read_len: u64,
    ) -> Result<Vec<u8>> {
        self.run(steps).await?;
        self.read_buffer(read, 0, read_len).await
    }

    /// Runs dispatches, each of its own pipeline, in order in one
    /// submission, and reads nothing back: the results stay on the GPU
    /// (a composite held there to be presented). Validation errors become
    /// [`Error::Gpu`].
    pub async fn run(&self, steps: &[(&wgpu::ComputePipeline, Dispatch<'_>)]) -> Result<()> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let bind_groups: Vec<wgpu::BindGroup> = steps
            .iter()
            .map(|(pipeline, step)| {
                let layout = pipeline.get_bind_group_layout(0);
                let entries: Vec<wgpu::BindGroupEntry> = step
                    .buffers
                    .iter()
                    .enumerate()
                    .map(|(i, b)| wgpu::BindGroupEntry {
                        binding: i as u32,
                        resource: b.as_entire_binding(),
                    })
                    .collect();
                self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: None,
                    layout: &layout,
                    entries: &entries,
                })
            })
            .collect();
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            for (bind_group, (pipeline, step)) in bind_groups.iter().zip(steps) {
                let (x, y, z) = step.workgroups;
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, bind_group, &[]);
                pass.dispatch_workgroups(x, y, z);
            }
        }
        self.queue.submit([encoder.finish()]);
        match scope.pop().await {
            Some(e) => Err(Error::Gpu(e.to_string())),
            None => Ok(()),
        }
    }

    /// Copies `len` bytes of `buffer` from byte `offset` (both multiples of
    /// 4) back to the CPU, after everything submitted before.
    pub async fn read_buffer(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>> {
        let copy_len = len.next_multiple_of(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size: copy_len,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, offset, &staging, 0, copy_len);
        self.queue.submit([encoder.finish()]);
        let mut bytes = self.read_mapped(&staging).await?;
        bytes.truncate(len as usize);
        Ok(bytes)
    }

    /// The queue, for work that is not a compute dispatch (presenting).
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// How many results this device has read back to the CPU: the transfers
    /// a GPU-resident document avoids, counted so tests can assert them.
    pub fn read_backs(&self) -> u64 {
        self.read_backs.load(Ordering::Relaxed)
    }

    /// How many bytes were uploaded into storage buffers, new
    /// ([`GpuContext::storage_buffer`]) or kept ([`GpuContext::write_buffer_at`]:
    /// held layers' rows): the uploads a GPU-resident document keeps to what
    /// changed, counted so tests can assert them. (Uniforms are not counted.)
    pub fn uploaded_bytes(&self) -> u64 {
        self.uploaded_bytes.load(Ordering::Relaxed)
    }

    /// Maps `buffer` for reading and returns its contents.
    async fn read_mapped(&self, buffer: &wgpu::Buffer) -> Result<Vec<u8>> {
        self.read_backs.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = futures_channel::oneshot::channel();
        buffer.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = sender.send(result);
        });
        self.wait_natively()?;
        receiver
            .await
            .map_err(|_| Error::Gpu("the GPU read-back was cancelled".into()))?
            .map_err(|e| Error::Gpu(format!("cannot read GPU results: {e}")))?;
        let bytes = buffer
            .get_mapped_range(..)
            .map_err(|e| Error::Gpu(format!("cannot read GPU results: {e}")))?
            .to_vec();
        buffer.unmap();
        Ok(bytes)
    }
}

/// Reads a GPU result as the values the shader wrote (`u32`, `f32`, `u16`…):
/// the one decoder every driver uses for its read-backs.
/// (GPUs and every target we build for are little-endian, as WGSL's values are.)
pub fn read_as<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
    let mut values = vec![T::zeroed(); bytes.len() / std::mem::size_of::<T>()];
    let len = values.len() * std::mem::size_of::<T>();
    bytemuck::cast_slice_mut::<T, u8>(&mut values).copy_from_slice(&bytes[..len]);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offering(binding: u64, buffer: u64, side: u32) -> wgpu::Limits {
        wgpu::Limits {
            max_storage_buffer_binding_size: binding,
            max_buffer_size: buffer,
            max_texture_dimension_2d: side,
            ..wgpu::Limits::default()
        }
    }

    /// The three limits a held document needs are raised as far as the
    /// adapter goes (capped), the rest stay WebGPU's defaults, and nothing
    /// asked for exceeds what the adapter offers.
    #[test]
    fn a_held_document_gets_what_the_adapter_offers_up_to_the_caps() {
        const MIB: u64 = 1 << 20;
        let defaults = wgpu::Limits::default();
        // (offered binding, buffer, side) → (binding, buffer, side) asked for:
        // SwiftShader in Chromium, llvmpipe, a large discrete GPU, one below
        // WebGPU's defaults.
        let cases = [
            ((1024 * MIB, 1024 * MIB, 8192), (512 * MIB, 512 * MIB, 8192)),
            (
                (128 * MIB, 2048 * MIB - 1, 16384),
                (128 * MIB, 512 * MIB, 16384),
            ),
            (
                (4096 * MIB, 4096 * MIB, 32768),
                (512 * MIB, 512 * MIB, 16384),
            ),
            ((64 * MIB, 128 * MIB, 4096), (64 * MIB, 128 * MIB, 4096)),
        ];
        for ((binding, buffer, side), want) in cases {
            let adapter = wgpu::Limits {
                max_compute_workgroup_storage_size: defaults.max_compute_workgroup_storage_size * 2,
                ..offering(binding, buffer, side)
            };
            let asked = held_limits(&adapter);
            let got = (
                asked.max_storage_buffer_binding_size,
                asked.max_buffer_size,
                asked.max_texture_dimension_2d,
            );
            assert_eq!(got, want, "offered {binding} / {buffer} / {side}");
            assert!(asked.check_limits(&adapter), "within the adapter's");
            // Other limits: the defaults, or all the adapter's where it
            // falls short of them.
            let other = if defaults.check_limits(&adapter) {
                defaults.max_compute_workgroup_storage_size
            } else {
                adapter.max_compute_workgroup_storage_size
            };
            assert_eq!(asked.max_compute_workgroup_storage_size, other);
        }
    }

    /// The device opened has those limits, and kernels working in bands
    /// still bind at most WebGPU's default.
    #[test]
    #[cfg_attr(
        not(gpu_tests),
        ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
    )]
    fn the_device_is_opened_with_the_held_limits() {
        let gpu = crate::engine::test_gpu_engine()
            .gpu()
            .expect("a GPU engine");
        let want = held_limits(&gpu.adapter.limits());
        let limits = gpu.device().limits();
        assert_eq!(
            limits.max_storage_buffer_binding_size,
            want.max_storage_buffer_binding_size
        );
        assert_eq!(limits.max_buffer_size, want.max_buffer_size);
        assert_eq!(
            limits.max_texture_dimension_2d,
            want.max_texture_dimension_2d
        );
        let default = wgpu::Limits::default().max_storage_buffer_binding_size;
        assert_eq!(gpu.max_binding_bytes(), gpu.max_held_bytes().min(default));
        assert!(gpu.max_held_bytes() <= MAX_HELD_BUFFER_BYTES);
    }
}
