//! The presenting pass, and (in the browser) the WebGPU canvas it draws on.

use crate::engine::GpuContext;
use crate::ops::blend::GpuCanvas;
use bytemuck::{Pod, Zeroable};

const SHADER: &str = include_str!("present.wgsl");

/// Mirrors `View` in present.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ViewParams {
    width: u32,
    height: u32,
}

/// The render pipeline that draws a held composite onto a texture of one
/// format.
pub struct Presenter {
    pipeline: wgpu::RenderPipeline,
}

impl Presenter {
    /// Whether a canvas of `size` can be presented: each side within the
    /// device's largest texture (WebGPU's default is 8192; the device asks
    /// for up to 16384 where the adapter offers it).
    pub fn fits(gpu: &GpuContext, (width, height): (u32, u32)) -> bool {
        let most = gpu.device().limits().max_texture_dimension_2d;
        width > 0 && height > 0 && width <= most && height <= most
    }

    /// A pipeline drawing onto textures of `format` (a canvas's:
    /// `rgba8unorm` or `bgra8unorm`).
    pub fn new(gpu: &GpuContext, format: wgpu::TextureFormat) -> Presenter {
        let device = gpu.device();
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("present"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("present"),
            layout: None,
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("cover"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("show"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        Presenter { pipeline }
    }

    /// Commands drawing `canvas` onto `target`, a view of a texture of the
    /// canvas's size, replacing what it held.
    pub fn draw(
        &self,
        gpu: &GpuContext,
        canvas: &GpuCanvas,
        target: &wgpu::TextureView,
    ) -> wgpu::CommandBuffer {
        let (width, height) = canvas.size();
        let params = ViewParams { width, height };
        let uniform = gpu.uniform_buffer("present view", bytemuck::bytes_of(&params));
        let bind_group = gpu.device().create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("present"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: canvas.buffer().as_entire_binding(),
                },
            ],
        });
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("present"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.draw(0..3, 0..1);
        }
        encoder.finish()
    }
}

/// A `<canvas>` whose WebGPU context shows a document's held composite:
/// configured to the document's size, drawn from the GPU, never read back.
#[cfg(target_arch = "wasm32")]
pub struct CanvasView {
    surface: wgpu::Surface<'static>,
    format: wgpu::TextureFormat,
    presenter: Presenter,
    /// The size the canvas is configured for.
    size: Option<(u32, u32)>,
}

#[cfg(target_arch = "wasm32")]
impl CanvasView {
    /// Takes `canvas`'s WebGPU context on `gpu`'s device. Fails when the
    /// canvas already has another context.
    pub fn new(gpu: &GpuContext, canvas: web_sys::HtmlCanvasElement) -> crate::Result<CanvasView> {
        use crate::Error;
        let surface = gpu
            .instance()
            .create_surface(wgpu::SurfaceTarget::Canvas(canvas))
            .map_err(|e| Error::Gpu(format!("cannot draw on this canvas with WebGPU: {e}")))?;
        let format = surface
            .get_capabilities(gpu.adapter())
            .formats
            .into_iter()
            .find(|f| {
                matches!(
                    f,
                    wgpu::TextureFormat::Rgba8Unorm | wgpu::TextureFormat::Bgra8Unorm
                )
            })
            .ok_or_else(|| Error::Gpu("the canvas offers no 8-bit format".into()))?;
        Ok(CanvasView {
            surface,
            format,
            presenter: Presenter::new(gpu, format),
            size: None,
        })
    }

    /// Draws `canvas`, which must [fit](Presenter::fits), and resolves when
    /// the GPU has finished the frame, so a timing around it measures the
    /// GPU's work, not a read-back. A validation error is returned, not
    /// raised.
    pub async fn show(&mut self, gpu: &GpuContext, canvas: &GpuCanvas) -> crate::Result<()> {
        use crate::Error;
        let scope = gpu.device().push_error_scope(wgpu::ErrorFilter::Validation);
        let drawn = self.draw(gpu, canvas);
        if let Some(error) = scope.pop().await {
            self.size = None;
            return Err(Error::Gpu(format!("cannot present the canvas: {error}")));
        }
        drawn?;
        gpu.work_done().await
    }

    /// Configures the surface for `canvas`'s size if it changed, then draws
    /// and presents it.
    fn draw(&mut self, gpu: &GpuContext, canvas: &GpuCanvas) -> crate::Result<()> {
        use crate::Error;
        let (width, height) = canvas.size();
        if self.size != Some((width, height)) {
            self.surface.configure(
                gpu.device(),
                &wgpu::SurfaceConfiguration {
                    usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                    format: self.format,
                    color_space: wgpu::SurfaceColorSpace::Auto,
                    width,
                    height,
                    desired_maximum_frame_latency: 2,
                    present_mode: wgpu::PresentMode::Fifo,
                    alpha_mode: wgpu::CompositeAlphaMode::PreMultiplied,
                    view_formats: vec![],
                },
            );
            self.size = Some((width, height));
        }
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame)
            | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => frame,
            _ => {
                // Configured afresh on the next call.
                self.size = None;
                return Err(Error::Gpu("the canvas has no texture to draw on".into()));
            }
        };
        let target = frame.texture.create_view(&Default::default());
        let commands = self.presenter.draw(gpu, canvas, &target);
        gpu.queue().submit([commands]);
        gpu.queue().present(frame);
        Ok(())
    }
}
